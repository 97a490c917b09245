// The library's search in the URL and on the wire (split from library.tsx): the filters, the sorts and states
// offered, the search request of the filters, and the first page fetched ahead while the app starts.
import { API, api, queryString } from './api.js'
import type { SearchPage } from './api-types.js'

export const PAGE_SIZE = 60
export const FILTERS = [
  'q',
  'mediaType',
  'systemName',
  'state',
  'used',
  'sourceState',
  'createdAfter',
  'createdBefore',
  'sort',
  'view',
] as const
export type FilterName = (typeof FILTERS)[number]
/** The search and view the URL asks for (each `''` when not set). */
export type Filters = Record<FilterName, string>
/** The grid's orders; the first is the default (newest first). `relevance` needs search words. */
export const SORTS: [string, string][] = [
  ['-createdAt', 'Newest first'],
  ['createdAt', 'Oldest first'],
  ['-updatedAt', 'Recently changed'],
  ['updatedAt', 'Least recently changed'],
  ['relevance', 'Best match'],
]
export const STATES: [string, string][] = [
  ['', 'Active and revoked'],
  ['active', 'Active'],
  ['revoked', 'Revoked'],
  ['archived', 'Archived'],
  ['active,revoked,archived', 'All, with archived'],
]

interface Prefetch {
  url: string
  promise: Promise<SearchPage>
  page: SearchPage | undefined
}
let prefetched: Prefetch | null = null

/**
 * Starts the first page's search while the app still loads its session, so that the two requests run in
 * parallel. Called once at start-up; the library page starts from its answer when it asks for the same
 * URL. Returns a promise that settles (never rejects) when the answer is in.
 */
export function prefetchFirstPage(search: string): Promise<void> {
  const url = `${API}/mediaLibrary${searchQuery(filtersOf(search))}`
  const entry: Prefetch = { url, promise: api<SearchPage>('GET', url), page: undefined }
  prefetched = entry
  return entry.promise.then(
    (page) => {
      entry.page = page
    },
    () => undefined,
  )
}

/** The prefetched page of `url` if it has arrived: the first render then shows the grid at once. */
export function takeArrived(url: string): SearchPage | undefined {
  const early = prefetched
  if (early?.url !== url || early.page === undefined) return undefined
  prefetched = null
  return early.page
}

export async function fetchPage(url: string): Promise<SearchPage> {
  const early = prefetched
  prefetched = null
  if (early?.url === url) {
    try {
      return await early.promise
    } catch {
      // e.g. 401 before the login: ask again now
    }
  }
  return api<SearchPage>('GET', url)
}

export function filtersOf(search: string): Filters {
  const params = new URLSearchParams(search)
  return Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ''])) as Filters
}

/** The order asked for: the default when none (or relevance without words). */
export const DEFAULT_SORT = '-createdAt'
export function sortOf(filters: Filters): string {
  const sort = SORTS.some(([v]) => v === filters.sort) ? filters.sort : DEFAULT_SORT
  return sort === 'relevance' && !filters.q.trim() ? DEFAULT_SORT : sort
}

/** The search request of the filters: dates are whole days, `createdBefore` includes its day. */
export function searchQuery(filters: Filters, after?: string, limit: number | '' = PAGE_SIZE): string {
  const nextDay = (d: string) =>
    new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
  return queryString({
    q: filters.q.trim(),
    mediaType: filters.mediaType,
    systemName: filters.systemName.trim(),
    state: filters.state,
    used: filters.used === 'true' || filters.used === 'false' ? filters.used : '',
    sourceState: filters.sourceState === 'missing' ? 'missing' : '',
    createdAfter: filters.createdAfter ? `${filters.createdAfter}T00:00:00Z` : '',
    createdBefore: filters.createdBefore ? nextDay(filters.createdBefore) : '',
    sort: sortOf(filters),
    limit,
    after,
  })
}
