import { isDeepStrictEqual } from 'node:util'
import type { Ajv } from 'ajv'
import { BadRequestError, ConflictError, notFound, UsageError } from '../errors.js'
import { generateId } from './ids.js'
import type { PropertyDef } from './media-types/media-type.js'
import { checkPropertyDef } from './media-types/metadata-plugins.js'
import { compileMediaType, type MetadataError } from './media-types/metadata-validator.js'

/** The usage log of an entry (reference release-2026-05): where and for what the asset is used. */
export type UsageState = 'pending' | 'confirmed'
export const USAGE_STATES: readonly UsageState[] = ['pending', 'confirmed']

export interface UsageLogEntry {
  id: string
  url?: string
  state: UsageState
  params: Record<string, unknown>
  purpose: string
  documentId?: number
  publicationId?: number
  /** ISO-8601: when the usage was reported (added, or last updated). */
  reportingDate: string
  /** ISO-8601; required while `confirmed`. */
  publicationDate?: string
}

/** A usage purpose of a project: `paramsSchema` lists the params an entry of this purpose may carry. */
export interface UsagePurpose {
  handle: string
  label: string
  paramsSchema?: PropertyDef[]
}

/** The metadata plugins the reference allows in a purpose's `paramsSchema`. */
export const PARAMS_PLUGINS = [
  'li-text',
  'li-boolean',
  'li-integer',
  'li-enum',
  'li-string-list',
  'li-numeric-list',
  'li-date',
  'li-datetime',
] as const

export const DEFAULT_USAGE_PURPOSES: UsagePurpose[] = [{ handle: 'web', label: 'Web' }]

const PURPOSE_HANDLE = /^[A-Za-z][A-Za-z0-9_-]{0,49}$/

/** Checks a project's usage purposes (e.g. from `projects update --usage-purposes FILE`); UsageError on problems. */
export function normalizeUsagePurposes(raw: unknown): UsagePurpose[] {
  const problems: string[] = []
  if (!Array.isArray(raw))
    throw new UsageError('usagePurposes must be a list of {handle, label, paramsSchema?}')
  const seen = new Set<string>()
  const out: UsagePurpose[] = raw.map((p: unknown, i) => {
    const where = `usagePurposes[${i}]`
    const o = (p ?? {}) as Record<string, unknown>
    if (typeof o.handle !== 'string' || !PURPOSE_HANDLE.test(o.handle))
      problems.push(`${where}.handle must match ${PURPOSE_HANDLE.source}`)
    else if (seen.has(o.handle)) problems.push(`${where}.handle '${o.handle}' is repeated`)
    else seen.add(o.handle)
    if (typeof o.label !== 'string' || o.label === '')
      problems.push(`${where}.label must be a non-empty text`)
    const unknown = Object.keys(o).filter((k) => !['handle', 'label', 'paramsSchema'].includes(k))
    if (unknown.length > 0) problems.push(`${where} has unknown fields: ${unknown.join(', ')}`)
    const purpose: UsagePurpose = { handle: String(o.handle), label: String(o.label) }
    if (o.paramsSchema !== undefined) {
      if (!Array.isArray(o.paramsSchema)) {
        problems.push(`${where}.paramsSchema must be a list of {handle, type, config?}`)
      } else {
        const handles = new Set<string>()
        ;(o.paramsSchema as PropertyDef[]).forEach((def, j) => {
          const pwhere = `${where}.paramsSchema[${j}]`
          if (!def || typeof def.handle !== 'string' || def.handle === '') {
            problems.push(`${pwhere}.handle must be a non-empty text`)
            return
          }
          if (handles.has(def.handle)) problems.push(`${pwhere}.handle '${def.handle}' is repeated`)
          handles.add(def.handle)
          if (!(PARAMS_PLUGINS as readonly string[]).includes(def.type)) {
            problems.push(`${pwhere} '${def.handle}'.type must be one of ${PARAMS_PLUGINS.join(', ')}`)
            return
          }
          for (const problem of checkPropertyDef(def)) problems.push(`${pwhere} '${def.handle}' ${problem}`)
        })
        purpose.paramsSchema = o.paramsSchema as PropertyDef[]
      }
    }
    return purpose
  })
  if (problems.length > 0) throw new UsageError(`Invalid usage purposes:\n- ${problems.join('\n- ')}`)
  return out
}

/** A project's purposes with their params validators compiled. */
export type CompiledPurposes = ReadonlyMap<
  string,
  { purpose: UsagePurpose; validateParams(params: Record<string, unknown>): MetadataError[] }
>

export function compileUsagePurposes(ajv: Ajv, purposes: readonly UsagePurpose[]): CompiledPurposes {
  return new Map(
    purposes.map((purpose) => {
      const compiled = compileMediaType(ajv, {
        handle: purpose.handle,
        type: 'mediaFile',
        metadata: purpose.paramsSchema ?? [],
      })
      return [purpose.handle, { purpose, validateParams: (p) => compiled.validateMetadata(p) }]
    }),
  )
}

/** The `value` of addUsageLogEntry and updateUsageLogEntry, shape-checked. */
export interface UsageValue {
  state?: UsageState
  purpose?: string
  publicationDate?: string
  url?: string
  params?: Record<string, unknown>
  documentId?: number
  publicationId?: number
}

const VALUE_FIELDS = ['state', 'purpose', 'publicationDate', 'url', 'params', 'documentId', 'publicationId']
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/

/** Checks the shape of a usage value (`at` names it in errors, e.g. `patches.0.value`). */
export function parseUsageValue(raw: unknown, at: string): UsageValue {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new BadRequestError({
      [at]: 'must be an object {state?, purpose, publicationDate?, url?, params?}',
    })
  }
  const o = raw as Record<string, unknown>
  const bad = (field: string, rule: string) => new BadRequestError({ [`${at}.${field}`]: rule })
  const unknown = Object.keys(o).find((k) => !VALUE_FIELDS.includes(k))
  if (unknown !== undefined) throw bad(unknown, 'is not a usage-log field')
  const value: UsageValue = {}
  if (o.state !== undefined) {
    if (!USAGE_STATES.includes(o.state as UsageState)) throw bad('state', 'must be pending or confirmed')
    value.state = o.state as UsageState
  }
  if (o.purpose !== undefined) {
    if (typeof o.purpose !== 'string' || o.purpose === '') throw bad('purpose', 'must be a purpose handle')
    value.purpose = o.purpose
  }
  if (o.publicationDate !== undefined && o.publicationDate !== null) {
    if (typeof o.publicationDate !== 'string' || !ISO_DATETIME.test(o.publicationDate)) {
      throw bad('publicationDate', 'must be an ISO-8601 date-time, e.g. 2026-05-01T11:00:00.000Z')
    }
    const time = Date.parse(o.publicationDate)
    if (Number.isNaN(time)) throw bad('publicationDate', 'is not a valid date-time')
    value.publicationDate = new Date(time).toISOString()
  }
  if (o.url !== undefined && o.url !== null) {
    if (typeof o.url !== 'string' || o.url.length > 2048 || !URL.canParse(o.url)) {
      throw bad('url', 'must be an absolute URL of at most 2048 characters')
    }
    value.url = o.url
  }
  if (o.params !== undefined && o.params !== null) {
    if (typeof o.params !== 'object' || Array.isArray(o.params)) throw bad('params', 'must be an object')
    value.params = o.params as Record<string, unknown>
  }
  for (const field of ['documentId', 'publicationId'] as const) {
    const v = o[field]
    if (v === undefined || v === null) continue
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad(field, 'must be a whole number of 0 or more')
    value[field] = v as number
  }
  return value
}

/** Builds a usage-log entry from a value, checking purpose, params and the confirmed rule. */
function buildEntry(
  id: string,
  value: UsageValue,
  purposes: CompiledPurposes,
  at: string,
  reportingDate: string,
): UsageLogEntry {
  if (value.purpose === undefined) throw new BadRequestError({ [`${at}.purpose`]: 'is required' })
  const purpose = purposes.get(value.purpose)
  if (!purpose) {
    throw new BadRequestError({
      [`${at}.purpose`]: `Unknown usage purpose '${value.purpose}' (this project has: ${[...purposes.keys()].join(', ')})`,
    })
  }
  const state = value.state ?? 'pending'
  if (state === 'confirmed' && value.publicationDate === undefined) {
    throw new BadRequestError({ [`${at}.publicationDate`]: 'is required when state is confirmed' })
  }
  const params = value.params ?? {}
  const known = (purpose.purpose.paramsSchema ?? []).map((d) => d.handle)
  const unknown = Object.keys(params).find((k) => !known.includes(k))
  if (unknown !== undefined) {
    throw new BadRequestError({
      [`${at}.params.${unknown}`]: `Unknown param '${unknown}': the usage purpose '${purpose.purpose.handle}' ${
        known.length > 0 ? `defines ${known.join(', ')}` : 'defines no params'
      }`,
    })
  }
  const errors = purpose.validateParams(params)
  if (errors.length > 0) {
    const details: Record<string, string> = {}
    for (const e of errors) details[`${at}.params${e.path.replaceAll('/', '.')}`] = e.custom ?? e.rule
    throw new BadRequestError(details)
  }
  const entry: UsageLogEntry = { id, state, params, purpose: value.purpose, reportingDate }
  if (value.url !== undefined) entry.url = value.url
  if (value.documentId !== undefined) entry.documentId = value.documentId
  if (value.publicationId !== undefined) entry.publicationId = value.publicationId
  if (value.publicationDate !== undefined) entry.publicationDate = value.publicationDate
  return entry
}

/** The usage-log entry in the reference's key order (the GET's item). */
export function usageRecord(entry: UsageLogEntry): Record<string, unknown> {
  const record: Record<string, unknown> = { id: entry.id }
  if (entry.url !== undefined) record.url = entry.url
  record.state = entry.state
  record.params = entry.params
  record.purpose = entry.purpose
  if (entry.documentId !== undefined) record.documentId = entry.documentId
  if (entry.publicationId !== undefined) record.publicationId = entry.publicationId
  record.reportingDate = entry.reportingDate
  if (entry.publicationDate !== undefined) record.publicationDate = entry.publicationDate
  return record
}

export function addUsage(
  log: readonly UsageLogEntry[],
  value: UsageValue,
  purposes: CompiledPurposes,
  at: string,
  now: Date,
): UsageLogEntry[] {
  let id = generateId(8)
  while (log.some((e) => e.id === id)) id = generateId(8)
  return [...log, buildEntry(id, value, purposes, at, now.toISOString())]
}

function indexOf(log: readonly UsageLogEntry[], usageId: string, entryId: string): number {
  const i = log.findIndex((e) => e.id === usageId)
  if (i < 0) {
    throw notFound(`Usage log entry does not exist (id: '${usageId}', media library entry: '${entryId}')`)
  }
  return i
}

/**
 * Replaces a usage-log entry with `value` (its purpose kept when `value` names none). `oldValue`, when
 * given, is a precondition: each field it names must equal the stored one, else 409.
 */
export function updateUsage(
  log: readonly UsageLogEntry[],
  usageId: string,
  value: UsageValue,
  oldValue: Record<string, unknown> | undefined,
  purposes: CompiledPurposes,
  at: string,
  entryId: string,
  now: Date,
): UsageLogEntry[] {
  const i = indexOf(log, usageId, entryId)
  const stored = log[i]!
  if (value.state === undefined) throw new BadRequestError({ [`${at}.state`]: 'is required for updates' })
  if (oldValue !== undefined) {
    const current = usageRecord(stored)
    const differs = Object.keys(oldValue).find((k) => !isDeepStrictEqual(current[k], oldValue[k]))
    if (differs !== undefined) {
      throw new ConflictError(
        `The usage log entry '${usageId}' does not match oldValue (field '${differs}' differs)`,
        'ConflictError',
      )
    }
  }
  const next = [...log]
  next[i] = buildEntry(
    usageId,
    { ...value, purpose: value.purpose ?? stored.purpose },
    purposes,
    at,
    now.toISOString(),
  )
  return next
}

export function removeUsage(
  log: readonly UsageLogEntry[],
  usageId: string,
  entryId: string,
): UsageLogEntry[] {
  const i = indexOf(log, usageId, entryId)
  return log.filter((_, j) => j !== i)
}
