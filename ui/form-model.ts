/**
 * The metadata form's model (pure, no DOM): the checks a media type's config implies for each field,
 * run in the browser as the editor types, so that most mistakes are named before a save. They mirror
 * the server's schemas (src/media/media-types/metadata-plugins.ts) in the API's own wording (`The value
 * of '/title' must NOT have more than 20 characters`), so a field reads the same before and after a
 * save; the server stays the judge, and its errors are mapped to the same fields.
 */
export interface FieldConfig {
  required?: boolean
  minLength?: number
  maxLength?: number
  minValue?: number
  maxValue?: number
  maxItems?: number
  allowNewlines?: boolean
  dataProvider?: { items?: { value: string | number; label?: string }[] }
}
export interface FieldDef {
  handle: string
  type: string
  config?: FieldConfig
}

const empty = (v: unknown) =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)

function oneOf(def: FieldDef, v: unknown): string | undefined {
  const items = def.config?.dataProvider?.items
  if (!items?.length || items.some((i) => i.value === v)) return undefined
  return `must be one of: ${items.map((i) => JSON.stringify(i.value)).join(', ')}`
}

function textProblem(def: FieldDef, v: unknown): string | undefined {
  if (typeof v !== 'string') return 'must be string'
  const c = def.config ?? {}
  const length = [...v].length
  if (c.minLength !== undefined && length < c.minLength)
    return `must NOT have fewer than ${c.minLength} characters`
  if (c.maxLength !== undefined && length > c.maxLength)
    return `must NOT have more than ${c.maxLength} characters`
  if (c.allowNewlines === false && /[\r\n]/.test(v)) return 'must not contain line breaks'
  return oneOf(def, v)
}

function integerProblem(def: FieldDef, v: unknown): string | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) return 'must be integer'
  const c = def.config ?? {}
  if (c.minValue !== undefined && v < c.minValue) return `must be >= ${c.minValue}`
  if (c.maxValue !== undefined && v > c.maxValue) return `must be <= ${c.maxValue}`
  return oneOf(def, v)
}

function listProblem(def: FieldDef, v: unknown): string | undefined {
  if (!Array.isArray(v)) return 'must be array'
  const max = def.config?.maxItems
  if (max !== undefined && v.length > max) return `must NOT have more than ${max} items`
  for (const item of v) {
    const p = oneOf(def, item)
    if (p) return p
  }
  return undefined
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
function dateProblem(v: unknown): string | undefined {
  const m = typeof v === 'string' ? DATE.exec(v) : null
  const d = m && new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  const ok = m && d && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3])
  return ok ? undefined : 'must be an ISO-8601 date (YYYY-MM-DD)'
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/
function dateTimeProblem(v: unknown): string | undefined {
  const ok = typeof v === 'string' && DATETIME.test(v) && !Number.isNaN(Date.parse(v))
  return ok ? undefined : 'must be an ISO-8601 date-time string'
}

/** What is wrong with a field's value (the API value the form would send), as the API words it. */
export function fieldProblem(def: FieldDef, value: unknown): string | undefined {
  const rule = fieldRule(def, value)
  return rule && `The value of '/${def.handle}' ${rule}`
}

function fieldRule(def: FieldDef, value: unknown): string | undefined {
  if (empty(value)) return def.config?.required ? 'is required' : undefined
  switch (def.type) {
    case 'li-text':
      return textProblem(def, value)
    case 'li-integer':
    case 'li-system-integer':
      return integerProblem(def, value)
    case 'li-enum':
      return typeof value === 'string' ? oneOf(def, value) : 'must be string'
    case 'li-string-list':
      return listProblem(def, value)
    case 'li-date':
      return dateProblem(value)
    case 'li-datetime':
    case 'li-system-datetime':
      return dateTimeProblem(value)
    case 'li-color':
      return typeof value === 'string' && /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(value)
        ? undefined
        : 'must be a hex color such as #8CBA51'
    default:
      return undefined
  }
}

/** The problems of a whole form, by field handle (only the fields that have one). */
export function formProblems(defs: FieldDef[], values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const def of defs) {
    const p = fieldProblem(def, values[def.handle])
    if (p) out[def.handle] = p
  }
  return out
}

/** A sentence for the form's status line: "2 fields are not valid". */
export function problemsSummary(count: number): string {
  return count === 1 ? '1 field is not valid' : `${count} fields are not valid`
}
