import type { PropertyConfig, PropertyDef } from './media-type.js'

/**
 * JSON Schema for the stored value of each metadata plugin that holds a plain value
 * (Livingdocs' `storageSchema`). `errorText` is our annotation keyword: when set, it replaces
 * Ajv's wording for errors raised by that (sub)schema.
 */
type JsonSchema = Record<string, unknown>

type PluginSchema = (config: PropertyConfig, handle: string) => JsonSchema

const ISO_DATETIME = {
  type: 'string',
  format: 'date-time',
  errorText: 'must be an ISO-8601 date-time string',
}

function itemValues(config: PropertyConfig): (string | number)[] | undefined {
  const items = config.dataProvider?.items
  return Array.isArray(items) && items.length > 0 ? items.map((i) => i.value) : undefined
}

function oneOfItems(values: (string | number)[]): JsonSchema {
  return { enum: values, errorText: `must be one of: ${values.map((v) => JSON.stringify(v)).join(', ')}` }
}

const text: PluginSchema = (config) => {
  const values = itemValues(config)
  const schema: JsonSchema = { type: 'string' }
  if (config.minLength !== undefined) schema.minLength = config.minLength
  if (config.maxLength !== undefined) schema.maxLength = config.maxLength
  const all: JsonSchema[] = [schema]
  if (config.allowNewlines === false) {
    all.push({ pattern: '^[^\\r\\n]*$', errorText: 'must not contain line breaks' })
  }
  if (values) all.push(oneOfItems(values))
  return all.length === 1 ? schema : { allOf: all }
}

const integer: PluginSchema = (config) => {
  const schema: JsonSchema = { type: 'integer' }
  if (config.minValue !== undefined) schema.minimum = config.minValue
  if (config.maxValue !== undefined) schema.maximum = config.maxValue
  const values = itemValues(config)
  return values ? { allOf: [schema, oneOfItems(values)] } : schema
}

const enumeration: PluginSchema = (config) => {
  const values = itemValues(config) ?? []
  return { allOf: [{ type: 'string' }, oneOfItems(values)] }
}

const stringList: PluginSchema = (config) => {
  const values = itemValues(config)
  const schema: JsonSchema = {
    type: 'array',
    items: values ? { allOf: [{ type: 'string' }, oneOfItems(values)] } : { type: 'string' },
  }
  if (config.maxItems !== undefined) schema.maxItems = config.maxItems
  return schema
}

const numericList: PluginSchema = (config) => {
  const schema: JsonSchema = { type: 'array', items: { type: 'integer' } }
  if (config.maxItems !== undefined) schema.maxItems = config.maxItems
  return schema
}

const namedCrops: PluginSchema = (config) => {
  const names = Array.isArray(config.namedCrops) ? config.namedCrops.map((c) => c.name) : undefined
  const crop: JsonSchema = {
    type: 'object',
    required: ['name', 'x', 'y', 'width', 'height'],
    properties: {
      name: names ? { allOf: [{ type: 'string' }, oneOfItems(names)] } : { type: 'string' },
      x: { type: 'number', minimum: 0 },
      y: { type: 'number', minimum: 0 },
      width: { type: 'number', minimum: 0 },
      height: { type: 'number', minimum: 0 },
      isAutomatic: { type: 'boolean' },
    },
    additionalProperties: false,
  }
  const schema: JsonSchema = {
    type: 'object',
    properties: {
      crops: { type: 'array', items: crop },
      focalPoint: {
        type: 'object',
        required: ['x', 'y'],
        properties: { x: { type: 'number' }, y: { type: 'number' } },
        additionalProperties: false,
      },
    },
    additionalProperties: false,
  }
  const mandatory = Array.isArray(config.namedCrops) ? config.namedCrops.filter((c) => !c.isOptional) : []
  if (mandatory.length > 0) {
    schema.required = ['crops']
    ;(schema.properties as Record<string, JsonSchema>).crops = {
      type: 'array',
      items: crop,
      allOf: mandatory.map((c) => ({
        contains: { type: 'object', properties: { name: { const: c.name } }, required: ['name'] },
        errorText: `must contain the crop '${c.name}'`,
      })),
    }
  }
  return schema
}

/** The plugins this server implements, by their Livingdocs type name. */
export const METADATA_PLUGINS: Record<string, PluginSchema> = {
  'li-text': text,
  'li-boolean': () => ({ type: 'boolean' }),
  'li-integer': integer,
  'li-system-integer': integer,
  'li-enum': enumeration,
  'li-string-list': stringList,
  'li-numeric-list': numericList,
  'li-date': () => ({ type: 'string', format: 'date', errorText: 'must be an ISO-8601 date (YYYY-MM-DD)' }),
  'li-datetime': () => ISO_DATETIME,
  'li-system-datetime': () => ISO_DATETIME,
  'li-datetime-validity': () => ({
    type: 'object',
    properties: { from: ISO_DATETIME, to: ISO_DATETIME },
    additionalProperties: false,
  }),
  'li-invalid': () => ({ type: 'boolean' }),
  'li-color': () => ({
    type: 'string',
    pattern: '^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$',
    errorText: 'must be a hex color such as #8CBA51',
  }),
  'li-external-id': () => ({ type: 'string' }),
  'li-media-handle': () => ({ type: 'string' }),
  'li-named-crops': namedCrops,
  'li-license-profile': () => ({
    type: 'object',
    required: ['handle'],
    properties: { handle: { type: 'string', minLength: 1 } },
    additionalProperties: false,
  }),
}

/** What the dataProvider item values of a plugin must be, for the plugins that use them. */
const STRING_VALUES = { name: 'strings', test: (v: unknown) => typeof v === 'string' }
const INTEGER_VALUES = { name: 'integers', test: (v: unknown) => Number.isInteger(v) }
const ITEM_VALUE_TYPE: Record<string, { name: string; test: (v: unknown) => boolean } | undefined> = {
  'li-text': STRING_VALUES,
  'li-enum': STRING_VALUES,
  'li-string-list': STRING_VALUES,
  'li-integer': INTEGER_VALUES,
  'li-system-integer': INTEGER_VALUES,
}

/** Plugins whose value cannot be "required" in Livingdocs (a boolean is always either value). */
const NOT_REQUIRABLE = new Set(['li-boolean'])

/**
 * Checks a property definition's config against what its plugin needs. Returns problems as
 * sentences; an empty list means the definition is usable.
 */
export function checkPropertyDef(def: PropertyDef): string[] {
  const problems: string[] = []
  const config = def.config ?? {}
  if (!(def.type in METADATA_PLUGINS)) {
    problems.push(
      `uses the unsupported plugin '${def.type}' (supported: ${Object.keys(METADATA_PLUGINS).join(', ')})`,
    )
    return problems
  }
  for (const key of ['minLength', 'maxLength', 'maxItems'] as const) {
    const v = config[key]
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 0))
      problems.push(`config.${key} must be a whole number of 0 or more, got ${JSON.stringify(v)}`)
  }
  for (const key of ['minValue', 'maxValue'] as const) {
    const v = config[key]
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v)))
      problems.push(`config.${key} must be a number, got ${JSON.stringify(v)}`)
  }
  for (const [min, max] of [
    ['minLength', 'maxLength'],
    ['minValue', 'maxValue'],
  ] as const) {
    const lo = config[min]
    const hi = config[max]
    if (typeof lo === 'number' && typeof hi === 'number' && lo > hi)
      problems.push(`config.${min} (${lo}) is greater than config.${max} (${hi}): no value could pass`)
  }
  for (const key of ['required', 'allowNewlines', 'translatable'] as const) {
    const v = config[key]
    if (v !== undefined && typeof v !== 'boolean') problems.push(`config.${key} must be a boolean`)
  }
  if (config.requiredErrorMessage !== undefined && typeof config.requiredErrorMessage !== 'string') {
    problems.push('config.requiredErrorMessage must be a string')
  }
  const items = config.dataProvider?.items
  if (items !== undefined) {
    const valid =
      Array.isArray(items) &&
      items.every((i) => i && (typeof i.value === 'string' || typeof i.value === 'number'))
    if (!valid) {
      problems.push('config.dataProvider.items must be a list of {label, value}')
    } else {
      const values = items.map((i) => i.value)
      const duplicates = values.filter((v, i) => values.indexOf(v) !== i)
      if (duplicates.length > 0)
        problems.push(`config.dataProvider.items repeats the value ${JSON.stringify(duplicates[0])}`)
      const wanted = ITEM_VALUE_TYPE[def.type]
      const wrong = wanted && values.find((v) => !wanted.test(v))
      if (wanted && wrong !== undefined)
        problems.push(
          `config.dataProvider.items values must be ${wanted.name} for ${def.type}, got ${JSON.stringify(wrong)}`,
        )
    }
  }
  if (def.type === 'li-enum' && !(Array.isArray(items) && items.length > 0)) {
    problems.push('needs config.dataProvider.items (the allowed values)')
  }
  if (def.type === 'li-string-list' && config.dataProvider === undefined) {
    problems.push('needs config.dataProvider (items or dataSource)')
  }
  if (config.namedCrops !== undefined) {
    const ok =
      Array.isArray(config.namedCrops) && config.namedCrops.every((c) => c && typeof c.name === 'string')
    if (!ok) {
      problems.push('config.namedCrops must be a list of {name, isOptional?}')
    } else {
      const names = config.namedCrops.map((c) => c.name)
      const duplicate = names.find((n, i) => names.indexOf(n) !== i)
      if (duplicate !== undefined) problems.push(`config.namedCrops repeats the name '${duplicate}'`)
    }
  }
  if (config.required === true && NOT_REQUIRABLE.has(def.type)) {
    problems.push(`cannot be required (${def.type} has no empty value)`)
  }
  return problems
}
