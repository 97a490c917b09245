import type { MediaEntryRepository } from '../db/media-entry.repository.js'
import type { MediaEntry } from './entry.js'
import type { EntryFailure, EntryValidator, ValidEntry } from './entry-validator.js'
import { generateEntryId } from './ids.js'
import { searchTextOf } from './search-text.js'
import type { CompiledMediaType } from './media-types/metadata-validator.js'

export type ImportResult =
  { ok: true; entry: MediaEntry } | { ok: false; correlation: string; failure: EntryFailure }

/**
 * How a failed entry is named in its result: `id: <id>` when the client sent an id (as in the
 * reference), else `externalId: <externalId>`, else `index: <position in the request, from 0>`.
 */
export function correlationOf(raw: unknown, index: number): string {
  if (raw !== null && typeof raw === 'object') {
    const { id, externalId } = raw as { id?: unknown; externalId?: unknown }
    if (typeof id === 'string') return `id: ${id}`
    if (typeof externalId === 'string') return `externalId: ${externalId}`
  }
  return `index: ${index}`
}

export interface ImportService {
  /**
   * Imports a batch. Entries stand or fail on their own; the results keep the request's order.
   * Everything that needs no database is checked in memory first, then all valid entries are written
   * in one transaction.
   */
  importEntries(
    project: string,
    mediaTypes: ReadonlyMap<string, CompiledMediaType>,
    rawEntries: readonly unknown[],
    options?: ImportOptions,
  ): Promise<ImportResult[]>
}

export interface ImportOptions {
  /**
   * Per entry (by its index in `rawEntries`), the SHA-256 of the asset's bytes, written in the entry's own
   * insert (URL imports and uploads know it; the re-import of unchanged bytes is skipped by it).
   */
  contentSha256?: readonly (string | undefined)[]
}

export function createImportService(deps: {
  entries: MediaEntryRepository
  validator: EntryValidator
  now?: () => Date
  /**
   * Refuses a valid entry anyway, naming the path and the rule (the client importers refuse the source keys
   * `@source/…`, which only scans make: issue #22).
   */
  refuse?: (entry: ValidEntry) => { path: string; message: string } | undefined
}): ImportService {
  const { entries, validator } = deps
  const now = deps.now ?? (() => new Date())

  return {
    async importEntries(project, mediaTypes, rawEntries, options) {
      const results: (ImportResult | undefined)[] = new Array(rawEntries.length)
      const fail = (i: number, failure: EntryFailure) => {
        results[i] = { ok: false, correlation: correlationOf(rawEntries[i], i), failure }
      }
      const timestamp = now().toISOString()
      const seenIds = new Set<string>()
      const seenExternal = new Set<string>()
      const pending: { index: number; entry: MediaEntry }[] = []

      rawEntries.forEach((raw, i) => {
        const check = validator.check(raw, mediaTypes)
        if (!check.ok) return fail(i, check.failure)
        const valid: ValidEntry = check.entry
        const refused = deps.refuse?.(valid)
        if (refused) {
          return fail(i, {
            kind: 'validation',
            message: `Invalid entry: '${refused.path}' ${refused.message}`,
            errors: [refused],
          })
        }
        // The first of two entries with the same key inside one batch wins, as it would across batches.
        if (valid.id !== undefined && seenIds.has(valid.id)) {
          return fail(i, { kind: 'unique', field: 'id', value: valid.id })
        }
        // NUL cannot occur in a valid entry's strings (the validator refuses it): an unambiguous separator.
        const externalKey =
          valid.externalId !== undefined ? `${valid.systemName}\u0000${valid.externalId}` : undefined
        if (externalKey !== undefined && seenExternal.has(externalKey)) {
          return fail(i, { kind: 'unique', field: 'externalId', value: valid.externalId as string })
        }
        let id = valid.id
        while (id === undefined || seenIds.has(id)) id = generateEntryId()
        seenIds.add(id)
        if (externalKey !== undefined) seenExternal.add(externalKey)
        const entry: MediaEntry = {
          id,
          version: 1,
          mediaType: valid.mediaType,
          asset: valid.asset,
          metadata: valid.metadata,
          createdAt: timestamp,
          updatedAt: timestamp,
          searchText: searchTextOf(valid, mediaTypes.get(valid.mediaType)),
        }
        if (valid.systemName !== undefined) entry.systemName = valid.systemName
        if (valid.externalId !== undefined) entry.externalId = valid.externalId
        if (valid.translations !== undefined) entry.translations = valid.translations
        const sha = options?.contentSha256?.[i]
        if (sha !== undefined) entry.contentSha256 = sha
        pending.push({ index: i, entry })
      })

      const outcome = await entries.insertNew(
        project,
        pending.map((p) => p.entry),
      )
      for (const { index, entry } of pending) {
        if (outcome.inserted.has(entry.id)) {
          results[index] = { ok: true, entry }
        } else if (outcome.idTaken.has(entry.id)) {
          fail(index, { kind: 'unique', field: 'id', value: entry.id })
        } else {
          fail(index, { kind: 'unique', field: 'externalId', value: entry.externalId ?? '' })
        }
      }
      return results as ImportResult[]
    },
  }
}
