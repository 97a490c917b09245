import type { Ajv, ErrorObject, ValidateFunction } from 'ajv'
import { firstPerPath, ruleOf } from '../ajv.js'
import type { MediaKind } from '../entry.js'
import type { MediaTypeConfig, PropertyDef } from './media-type.js'
import { METADATA_PLUGINS } from './metadata-plugins.js'

/** One invalid metadata value, independent of how an API version words it. */
export interface MetadataError {
  /** The top-level property, e.g. `title`. */
  metadataProperty: string
  /** JSON pointer into the metadata, e.g. `/title` or `/crops/0/x`. */
  path: string
  /** What is wrong, in Ajv's "must …" wording, e.g. `must be string`. */
  rule: string
  /** A complete sentence that replaces the generated one (e.g. `requiredErrorMessage`). */
  custom?: string
  /** Set for errors inside a translation. */
  translationLocale?: string
}

/** A media type with its metadata validators compiled. */
export interface CompiledMediaType {
  readonly handle: string
  readonly kind: MediaKind
  readonly config: MediaTypeConfig
  /** Validates an entry's metadata object. Returns [] when valid. */
  validateMetadata(metadata: Record<string, unknown>): MetadataError[]
  /** Validates a translation's metadata: the same rules, but no property is required. */
  validateTranslationMetadata(metadata: Record<string, unknown>, locale: string): MetadataError[]
}

function propertySchema(def: PropertyDef): Record<string, unknown> {
  const config = def.config ?? {}
  const plugin = METADATA_PLUGINS[def.type]
  if (!plugin) throw new Error(`unsupported metadata plugin '${def.type}'`)
  const schema = plugin(config, def.handle)
  if (config.required && def.type === 'li-text') {
    // A required text must not be empty either. Checked first, so an empty text gets the
    // requiredErrorMessage rather than a minLength message. (minLength ignores non-strings.)
    return { allOf: [{ minLength: 1, errorText: 'must not be empty' }, schema] }
  }
  return schema
}

function metadataSchema(config: MediaTypeConfig, withRequired: boolean): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  for (const def of config.metadata) properties[def.handle] = propertySchema(def)
  const required = withRequired ? config.metadata.filter((d) => d.config?.required).map((d) => d.handle) : []
  return { type: 'object', properties, required, additionalProperties: false }
}

/** A key as a JSON pointer token (RFC 6901): `~` → `~0`, `/` → `~1`. */
function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

function toMetadataErrors(
  errors: readonly ErrorObject[],
  config: MediaTypeConfig,
  requiredMessages: Map<string, string>,
): MetadataError[] {
  // Ajv keeps the errors of the items a `contains` tried and rejected; they are not the item's faults.
  const relevant = errors.filter((e) => !e.schemaPath.includes('/contains/'))
  return firstPerPath(relevant).map((e): MetadataError => {
    if (e.keyword === 'required' && e.instancePath === '') {
      const property = String(e.params.missingProperty)
      const err: MetadataError = { metadataProperty: property, path: `/${property}`, rule: 'is required' }
      const custom = requiredMessages.get(property)
      if (custom) err.custom = custom
      return err
    }
    if (e.keyword === 'additionalProperties' && e.instancePath === '') {
      const property = String(e.params.additionalProperty)
      const known = config.metadata.map((d) => d.handle).join(', ') || 'none'
      return {
        metadataProperty: property,
        path: `/${pointerToken(property)}`,
        rule: 'is not a metadata property of this media type',
        custom: `Unknown metadata property '${property}': media type '${config.handle}' defines ${known}`,
      }
    }
    const property = e.instancePath.split('/')[1] ?? ''
    if (e.keyword === 'required') {
      const path = `${e.instancePath}/${String(e.params.missingProperty)}`
      return { metadataProperty: property, path, rule: 'is required' }
    }
    if (e.keyword === 'additionalProperties') {
      const path = `${e.instancePath}/${pointerToken(String(e.params.additionalProperty))}`
      return { metadataProperty: property, path, rule: 'is not an allowed property' }
    }
    const err: MetadataError = { metadataProperty: property, path: e.instancePath, rule: ruleOf(e) }
    const custom = requiredMessages.get(property)
    if (custom && e.keyword === 'minLength' && ruleOf(e) === 'must not be empty') err.custom = custom
    return err
  })
}

/** Compiles a media type's metadata rules into Ajv validators. Call once per config, not per request. */
export function compileMediaType(ajv: Ajv, config: MediaTypeConfig): CompiledMediaType {
  const full: ValidateFunction = ajv.compile(metadataSchema(config, true))
  const partial: ValidateFunction = ajv.compile(metadataSchema(config, false))
  const requiredMessages = new Map<string, string>()
  for (const def of config.metadata) {
    if (def.config?.requiredErrorMessage) requiredMessages.set(def.handle, def.config.requiredErrorMessage)
  }
  return {
    handle: config.handle,
    kind: config.type,
    config,
    validateMetadata(metadata) {
      if (full(metadata)) return []
      return toMetadataErrors(full.errors ?? [], config, requiredMessages)
    },
    validateTranslationMetadata(metadata, locale) {
      if (partial(metadata)) return []
      return toMetadataErrors(partial.errors ?? [], config, requiredMessages).map((e) => ({
        ...e,
        translationLocale: locale,
      }))
    },
  }
}
