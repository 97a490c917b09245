import { AppError } from '../errors.js'
import type { MediaEntry } from '../media/entry.js'
import { toRecord } from '../media/entry.js'
import type { EntryFailure } from '../media/entry-validator.js'
import type { ImportResult } from '../media/import.service.js'
import type { MetadataError } from '../media/media-types/metadata-validator.js'

/**
 * The API versions this server speaks and how their answers differ. The domain knows nothing of
 * versions: everything version-specific is a presenter here.
 *
 * | version            | list wrapper          | metadata errors                                        |
 * |--------------------|-----------------------|--------------------------------------------------------|
 * | v1, beta           | `mediaLibraryEntries` | `MetadataValidationErrors` + `invalidMetadata`, "should" |
 * | 2025-03 … 2025-11  | `mediaLibraryEntries` | `ValidationError` + `errors`, "must"                    |
 * | 2026-01            | `results`             | `ValidationError` + `errors`, "must"                    |
 * | 2026-03 … 2026-07  | `results`             | same; PATCH `preserveUpdatedAt`; `GET …/{id}/keys`       |
 *
 * Searches (our extension) answer `{<list wrapper>: [...], cursor}` in every version.
 */
export interface ApiVersion {
  readonly name: string
  /** The dated version it behaves as (`v1` and `beta` behave as 2025-03). */
  readonly behavesAs: string
  /** Key of the array in list and import responses. */
  readonly listKey: 'mediaLibraryEntries' | 'results'
  /** The pre-2024-09 metadata error shape that the seed documents. */
  readonly legacyMetadataErrors: boolean
  /** PATCH takes `preserveUpdatedAt` (2026-03 and later). */
  readonly preserveUpdatedAt: boolean
  /** `GET /mediaLibrary/{id}/keys` exists (2026-03 and later). */
  readonly keysEndpoint: boolean
}

const DATED = [
  '2025-03',
  '2025-05',
  '2025-07',
  '2025-09',
  '2025-11',
  '2026-01',
  '2026-03',
  '2026-05',
  '2026-07',
]

function dated(name: string): ApiVersion {
  return {
    name,
    behavesAs: name,
    listKey: name >= '2026-01' ? 'results' : 'mediaLibraryEntries',
    legacyMetadataErrors: false,
    preserveUpdatedAt: name >= '2026-03',
    keysEndpoint: name >= '2026-03',
  }
}

function legacy(name: string): ApiVersion {
  return { ...dated('2025-03'), name, legacyMetadataErrors: true }
}

export const API_VERSIONS: ReadonlyMap<string, ApiVersion> = new Map([
  ['v1', legacy('v1')],
  ['beta', legacy('beta')],
  ...DATED.map((name): [string, ApiVersion] => [name, dated(name)]),
])

export const SUPPORTED_VERSIONS = [...API_VERSIONS.keys()]

/** The newest version: the OpenAPI document's default for `:apiVersion`. */
export const CURRENT_VERSION = DATED[DATED.length - 1]!

export function metadataMessage(error: MetadataError, legacy: boolean): string {
  if (error.custom) return error.custom
  const rule = legacy ? error.rule.replace(/^must\b/, 'should') : error.rule
  return `The value of '${error.path}' ${rule}`
}

/** The envelope of a refused entry (an import item's error, or a PATCH's 400), as the version words it. */
export function failureBody(failure: EntryFailure, version: ApiVersion) {
  switch (failure.kind) {
    case 'unique':
      return {
        status: 409,
        error: 'UniqueIdViolation',
        error_details: { message: `${failure.field} is not unique: '${failure.value}'` },
      }
    case 'validation': {
      const details: Record<string, unknown> = { message: failure.message }
      if (failure.errors) details.errors = failure.errors
      return { status: 400, error: 'ValidationError', error_details: details }
    }
    case 'metadata': {
      const legacy = version.legacyMetadataErrors
      const items = failure.errors.map((e) => {
        const item: Record<string, unknown> = {
          metadataProperty: e.metadataProperty,
          message: metadataMessage(e, legacy),
        }
        if (e.translationLocale !== undefined) item.translationLocale = e.translationLocale
        return item
      })
      return legacy
        ? {
            status: 400,
            error: 'MetadataValidationErrors',
            error_details: { message: 'Metadata validation failed.', invalidMetadata: items },
          }
        : {
            status: 400,
            error: 'ValidationError',
            error_details: { message: 'Metadata validation failed.', errors: items },
          }
    }
  }
}

/** One item of an import response. */
export function presentImportResult(result: ImportResult, version: ApiVersion): Record<string, unknown> {
  if (result.ok) return { ok: true, status: 200, id: result.entry.id, record: toRecord(result.entry) }
  return { ok: false, correlation: result.correlation, ...failureBody(result.failure, version) }
}

/** A list response in the version's wrapper. */
export function presentList(items: unknown[], version: ApiVersion): Record<string, unknown> {
  return { [version.listKey]: items }
}

export function presentEntry(entry: MediaEntry): Record<string, unknown> {
  return toRecord(entry)
}

/** A page of a search: the version's list wrapper plus the cursor of the next page (null at the end). */
export function presentPage(
  entries: readonly MediaEntry[],
  cursor: string | null,
  version: ApiVersion,
  count?: { value: number; exact: boolean },
): Record<string, unknown> {
  const page: Record<string, unknown> = { [version.listKey]: entries.map(toRecord), cursor }
  if (count) Object.assign(page, { total: count.value, totalExact: count.exact })
  return page
}

/** A refused PATCH as an error the error handler renders: the import's item error of the version. */
export function patchFailureError(failure: EntryFailure, version: ApiVersion): AppError {
  const body = failureBody(failure, version)
  return new AppError(body.status, body.error, body.error_details)
}
