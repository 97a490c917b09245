import type { EntrySearch, MediaEntryRepository } from '../db/media-entry.repository.js'
import { BadRequestError, NotFoundError } from '../errors.js'
import { patchMany, type BatchPatchItem, type BatchPatchOutcome } from './batch-patch.js'
import type { EntryState, MediaEntry } from './entry.js'
import type { EntryValidator } from './entry-validator.js'
import type { CompiledMediaType } from './media-types/metadata-validator.js'
import { createPatchService, type PatchRequest } from './patch.service.js'
import { searchWords } from './search-text.js'

export const DEFAULT_PAGE_SIZE = 50
export const MAX_PAGE_SIZE = 1000

/** A search of the library; every field narrows. */
export interface LibrarySearch {
  mediaType?: string
  systemName?: string
  /** Default: active and revoked (archived entries only when asked for). */
  states?: readonly EntryState[]
  createdAfter?: Date
  createdBefore?: Date
  updatedAfter?: Date
  /** Full text over the indexed metadata properties and filenames; every word must match (as a prefix). */
  q?: string
  /** 1 … MAX_PAGE_SIZE; default DEFAULT_PAGE_SIZE. */
  limit?: number
  /** The opaque cursor of the previous page. */
  after?: string
}

export interface LibraryPage {
  entries: MediaEntry[]
  /** Pass as `after` for the next page; null when there is none. */
  cursor: string | null
}

export interface LibraryService {
  getOrFail(project: string, id: string): Promise<MediaEntry>
  /** Entries with these ids, in the order asked for; unknown ids are left out. */
  listByIds(project: string, ids: readonly string[]): Promise<MediaEntry[]>
  /** Entries with these externalIds in one system, in the order asked for. */
  listByExternalIds(
    project: string,
    systemName: string,
    externalIds: readonly string[],
  ): Promise<MediaEntry[]>
  /** One page of a search, in a stable order (insertion order); each entry appears on one page only. */
  search(project: string, search: LibrarySearch): Promise<LibraryPage>
  /**
   * Patches an entry: all patches or none, `version` + 1 once. Returns the stored result.
   * Stable contract for other writers (e.g. URL imports updating asset and metadata):
   * `patch(project, id, {version?, patches: [{operation: 'replaceAsset', value}, {operation:
   * 'setMetadataProperty', propertyName, value}], preserveUpdatedAt?})`.
   */
  patch(project: string, id: string, request: PatchRequest): Promise<MediaEntry>
  /** Patches many entries, each on its own (all of its patches or none, version-checked), in order. */
  patchMany(project: string, items: readonly BatchPatchItem[]): Promise<BatchPatchOutcome[]>
  /** Every storage key of the entry: main asset, translated assets, then replaced and removed ones. */
  keysOf(project: string, id: string): Promise<string[]>
}

function inOrder<K>(keys: readonly K[], entries: MediaEntry[], keyOf: (e: MediaEntry) => K): MediaEntry[] {
  const byKey = new Map(entries.map((e) => [keyOf(e), e]))
  const out: MediaEntry[] = []
  const seen = new Set<K>()
  for (const key of keys) {
    const entry = byKey.get(key)
    if (entry && !seen.has(key)) out.push(entry)
    seen.add(key)
  }
  return out
}

const CURSOR_PREFIX = 'ml1.'

/** Cursors are opaque to clients: a versioned prefix and the position, base64url. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${seq}`).toString('base64url')
}

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const seq = text.startsWith(CURSOR_PREFIX) ? Number(text.slice(CURSOR_PREFIX.length)) : NaN
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new BadRequestError({ after: 'is not a cursor returned by this server' })
  }
  return seq
}

export function createLibraryService(deps: {
  entries: MediaEntryRepository
  validator: EntryValidator
  mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  now?: () => Date
}): LibraryService {
  const { entries } = deps
  const patcher = createPatchService(deps)
  const service: LibraryService = {
    async getOrFail(project, id) {
      const entry = await entries.get(project, id)
      if (!entry) {
        throw new NotFoundError({
          name: 'NotFound',
          message: `MediaLibrary Entry does not exist (id: '${id}')`,
        })
      }
      return entry
    },
    async listByIds(project, ids) {
      return inOrder(ids, await entries.listByIds(project, ids), (e) => e.id)
    },
    async listByExternalIds(project, systemName, externalIds) {
      return inOrder(
        externalIds,
        await entries.listByExternalIds(project, systemName, externalIds),
        (e) => e.externalId as string,
      )
    },
    async search(project, search) {
      const limit = search.limit ?? DEFAULT_PAGE_SIZE
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
        throw new BadRequestError({ limit: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
      }
      const query: EntrySearch = { states: search.states ?? ['active', 'revoked'], limit }
      if (query.states.length === 0) throw new BadRequestError({ state: 'must name at least one state' })
      if (search.mediaType !== undefined) query.mediaType = search.mediaType
      if (search.systemName !== undefined) query.systemName = search.systemName
      if (search.createdAfter) query.createdAfter = search.createdAfter
      if (search.createdBefore) query.createdBefore = search.createdBefore
      if (search.updatedAfter) query.updatedAfter = search.updatedAfter
      if (search.q !== undefined) {
        const words = searchWords(search.q)
        if (words.length === 0) throw new BadRequestError({ q: 'must contain at least one letter or digit' })
        query.words = words
      }
      if (search.after !== undefined) query.afterSeq = decodeCursor(search.after)
      const page = await entries.search(project, query)
      return {
        entries: page.entries,
        cursor: page.nextSeq === undefined ? null : encodeCursor(page.nextSeq),
      }
    },
    patch: (project, id, request) => patcher.patch(project, id, request),
    patchMany: (project, items) => patchMany({ ...deps, patch: patcher.patch }, project, items),
    async keysOf(project, id) {
      const entry = await service.getOrFail(project, id)
      const keys = new Set<string>([entry.asset.key])
      for (const t of entry.translations ?? []) if (t.asset) keys.add(t.asset.key)
      for (const key of entry.formerKeys ?? []) keys.add(key)
      return [...keys]
    },
  }
  return service
}
