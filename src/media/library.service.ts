import type { EntryCount, EntrySearch, MediaEntryRepository } from '../db/media-entry.repository.js'
import { BadRequestError, entryNotFound } from '../errors.js'
import { patchMany, type BatchPatchItem, type BatchPatchOutcome } from './batch-patch.js'
import type { EntryState, MediaEntry } from './entry.js'
import type { EntryValidator } from './entry-validator.js'
import type { CompiledMediaType } from './media-types/metadata-validator.js'
import type { PatchRequest, PatchService } from './patch.service.js'
import { searchWords } from './search-text.js'
import type { CompiledPurposes } from './usage-log.js'

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
  /** Only entries with (true) or without (false) usage-log entries. */
  used?: boolean
  /** `missing`: only entries whose source object vanished (issue #22). */
  sourceState?: 'missing'
  /** Full text over the indexed metadata properties and filenames; every word must match (as a prefix). */
  q?: string
  /** 1 … MAX_PAGE_SIZE; default DEFAULT_PAGE_SIZE. */
  limit?: number
  /** The opaque cursor of the previous page (of the same sort). */
  after?: string
  /** Default: insertion order (oldest first, as before sorts existed). */
  sort?: LibrarySort
  /** Count the matches too (exact up to the configured threshold, an estimate beyond). */
  count?: boolean
}

/** The orders of a search: by time (`-` is newest first), or by relevance (with `q`). */
export const LIBRARY_SORTS = ['-createdAt', 'createdAt', '-updatedAt', 'updatedAt', 'relevance'] as const
export type LibrarySort = (typeof LIBRARY_SORTS)[number]

/** How many entries `count=true` counts exactly unless configured (`limits.countExactUpTo`). */
export const DEFAULT_COUNT_EXACT_UP_TO = 10_000

export interface LibraryPage {
  entries: MediaEntry[]
  /** Pass as `after` for the next page; null when there is none. */
  cursor: string | null
  /** When asked for: the number of matches, `exact: false` for an estimate. */
  count?: EntryCount
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
  /**
   * Facts about an entry that are not part of its public record: the SHA-256 of the file a URL import last
   * downloaded for it (null when none did). NotFoundError for an unknown id.
   */
  facts(project: string, id: string): Promise<{ id: string; sha256: string | null }>
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

const SORTED_PREFIX = 'ml2.'

/** A cursor of a sort: the sort, then the last entry's key (its time, or its score) and position. */
export function encodeSortedCursor(sort: LibrarySort, key: string | number, seq: number): string {
  return Buffer.from(`${SORTED_PREFIX}${sort}|${key}|${seq}`).toString('base64url')
}

/** The position in a cursor, checked to belong to `sort` (a cursor of another order is a 400). */
export function decodeCursorOf(
  cursor: string,
  sort: LibrarySort | undefined,
): { seq: number } | { time: string; seq: number } | { score: number; seq: number } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!text.startsWith(SORTED_PREFIX)) {
    const seq = decodeCursor(cursor)
    if (sort !== undefined) throw wrongSort('the insertion order', sort)
    return { seq }
  }
  const [from, key, seqText] = text.slice(SORTED_PREFIX.length).split('|')
  const seq = Number(seqText)
  const relevance = from === 'relevance'
  const valid =
    LIBRARY_SORTS.includes(from as LibrarySort) &&
    key !== undefined &&
    key !== '' &&
    (relevance ? Number.isFinite(Number(key)) : !Number.isNaN(Date.parse(key))) &&
    Number.isSafeInteger(seq) &&
    seq >= 0
  if (!valid) throw new BadRequestError({ after: 'is not a cursor returned by this server' })
  if (from !== sort) throw wrongSort(`sort=${from}`, sort)
  return relevance ? { score: Number(key), seq } : { time: key, seq }
}

function wrongSort(cursorSort: string, sort: LibrarySort | undefined): BadRequestError {
  const asked = sort === undefined ? 'the insertion order (no sort)' : `sort=${sort}`
  return new BadRequestError({
    after: `is a cursor of ${cursorSort}, not of ${asked}: page with the sort the cursor came from`,
  })
}

const SORT_COLUMNS = {
  '-createdAt': { column: 'created_at', descending: true },
  createdAt: { column: 'created_at', descending: false },
  '-updatedAt': { column: 'updated_at', descending: true },
  updatedAt: { column: 'updated_at', descending: false },
} as const

export function createLibraryService(deps: {
  entries: MediaEntryRepository
  /** The single-entry PATCH (built by the composition root, src/deps.ts). */
  patcher: Pick<PatchService, 'patch'>
  validator: EntryValidator
  mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  usagePurposesOf?(project: string): Promise<CompiledPurposes>
  trashDays?: number
  now?: () => Date
  /** `count=true` is exact up to this many matches (default DEFAULT_COUNT_EXACT_UP_TO). */
  countExactUpTo?: number
}): LibraryService {
  const { entries, patcher } = deps
  const service: LibraryService = {
    async getOrFail(project, id) {
      const entry = await entries.get(project, id)
      if (!entry) {
        throw entryNotFound(id)
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
      if (search.used !== undefined) query.used = search.used
      if (search.sourceState === 'missing') query.sourceMissing = true
      if (search.q !== undefined) {
        const words = searchWords(search.q)
        if (words.length === 0) throw new BadRequestError({ q: 'must contain at least one letter or digit' })
        query.words = words
      }
      const sort = search.sort
      if (sort === 'relevance') {
        if (!query.words) throw new BadRequestError({ sort: 'relevance needs a full-text search (q)' })
        query.relevance = true
      } else if (sort !== undefined) query.sort = SORT_COLUMNS[sort]
      if (search.after !== undefined) {
        const position = decodeCursorOf(search.after, sort)
        if ('time' in position) query.afterKey = position
        else if ('score' in position) query.afterScore = position
        else query.afterSeq = position.seq
      }
      const [page, count] = await Promise.all([
        entries.search(project, query),
        search.count
          ? entries.count(project, query, deps.countExactUpTo ?? DEFAULT_COUNT_EXACT_UP_TO)
          : undefined,
      ])
      const last = page.entries[page.entries.length - 1]
      let cursor: string | null = null
      if (page.nextSeq !== undefined && last) {
        if (sort === undefined) cursor = encodeCursor(page.nextSeq)
        else if (sort === 'relevance') cursor = encodeSortedCursor(sort, page.nextScore ?? 0, page.nextSeq)
        else {
          const time = sort.endsWith('createdAt') ? last.createdAt : last.updatedAt
          cursor = encodeSortedCursor(sort, time, page.nextSeq)
        }
      }
      return count ? { entries: page.entries, cursor, count } : { entries: page.entries, cursor }
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
    async facts(project, id) {
      const entry = await service.getOrFail(project, id)
      return { id: entry.id, sha256: (await entries.getContentSha(project, entry.id)) ?? null }
    },
  }
  return service
}
