import type { Static } from 'typebox'
import type { ImportEntryDoc } from '../http/schemas/import.schemas.js'
import type { MediaTypeConfig } from '../media/media-types/media-type.js'
import {
  ApiError,
  DEFAULT_RETRY,
  requestJsonWithRetry,
  type JsonRequest,
  type RetryOptions,
} from './http-retry.js'

/** An entry of `POST /import/mediaLibrary`, typed from the server's own TypeBox schema. */
export type ImportEntry = Static<typeof ImportEntryDoc>

/** A stored entry as the API returns it: the import fields plus id, version, timestamps and state fields. */
export type EntryRecord = ImportEntry & {
  id: string
  version: number
  createdAt: string
  updatedAt: string
  state?: string
  [other: string]: unknown
}

/** One item of an import answer, in request order. */
export type ImportItem =
  | { ok: true; status: number; id: string; record: EntryRecord }
  | {
      ok: false
      correlation: string
      status: number
      error: string
      error_details?: Record<string, unknown>
    }

export interface ClientOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:3000 */
  server: string
  token: string
  /** `v1`, `beta` or a dated version such as `2026-07` (default `v1`). */
  apiVersion?: string
  retry?: RetryOptions
}

/** Search filters of the list endpoint (our extension). */
export interface ListFilters {
  mediaType?: string
  systemName?: string
  state?: string
  createdAfter?: string
  createdBefore?: string
  updatedAfter?: string
  q?: string
}

export interface EntryPage {
  entries: EntryRecord[]
  cursor: string | null
}

/** A small typed client of medialib's public API: what the CLI and the tests need. */
export interface ApiClient {
  readonly apiVersion: string
  importEntries(entries: readonly unknown[]): Promise<ImportItem[]>
  /** The same, for entries given as JSON texts: they are sent as they are, without a parse and re-encode. */
  importJson(texts: readonly string[]): Promise<ImportItem[]>
  getByIds(ids: readonly string[]): Promise<EntryRecord[]>
  getByExternalIds(systemName: string, externalIds: readonly string[]): Promise<EntryRecord[]>
  listPage(options: ListFilters & { limit?: number; after?: string | null }): Promise<EntryPage>
  /** The media types of the token's project (`GET /project/mediaTypes`). */
  mediaTypes(): Promise<MediaTypeConfig[]>
}

/** Lookups take at most this many ids per request (the server's default `idsPerRequest`). */
export const LOOKUP_CHUNK = 1000

/** The list of an answer, whichever wrapper the API version uses (`mediaLibraryEntries` or `results`). */
function listOf<T>(body: unknown, what: string): T[] {
  if (body !== null && typeof body === 'object') {
    const { mediaLibraryEntries, results } = body as { mediaLibraryEntries?: unknown; results?: unknown }
    const list = results ?? mediaLibraryEntries
    if (Array.isArray(list)) return list as T[]
  }
  throw new ApiError(200, { error: 'UnexpectedAnswer', error_details: { message: `${what}: no list` } })
}

export function createApiClient(options: ClientOptions): ApiClient {
  const base = options.server.replace(/\/+$/, '')
  const apiVersion = options.apiVersion ?? 'v1'
  const retry = options.retry ?? DEFAULT_RETRY
  const headers = { authorization: `Bearer ${options.token}`, accept: 'application/json' }

  async function call(method: string, path: string, bodyText?: string): Promise<unknown> {
    const init: JsonRequest = { method, headers }
    if (bodyText !== undefined) {
      init.body = bodyText
      init.headers = { ...headers, 'content-type': 'application/json' }
    }
    const res = await requestJsonWithRetry(`${base}/api/${apiVersion}${path}`, init, retry)
    if (res.status !== 200) throw new ApiError(res.status, res.body)
    return res.body
  }

  async function lookup(params: (chunk: string[]) => URLSearchParams, keys: readonly string[]) {
    const out: EntryRecord[] = []
    for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
      const query = params(keys.slice(i, i + LOOKUP_CHUNK))
      out.push(...listOf<EntryRecord>(await call('GET', `/mediaLibrary?${query}`), 'lookup'))
    }
    return out
  }

  async function importBody(bodyText: string, count: number): Promise<ImportItem[]> {
    const items = listOf<ImportItem>(await call('POST', '/import/mediaLibrary', bodyText), 'import')
    if (items.length !== count) {
      throw new ApiError(200, {
        error: 'UnexpectedAnswer',
        error_details: { message: `sent ${count} entries, got ${items.length} results` },
      })
    }
    return items
  }

  return {
    apiVersion,
    importEntries: (entries) => importBody(JSON.stringify({ mediaLibraryEntries: entries }), entries.length),
    importJson: (texts) => importBody(`{"mediaLibraryEntries":[${texts.join(',')}]}`, texts.length),
    getByIds: (ids) => lookup((chunk) => new URLSearchParams({ ids: chunk.join(',') }), ids),
    getByExternalIds: (systemName, externalIds) =>
      lookup((chunk) => new URLSearchParams({ externalId: chunk.join(','), systemName }), externalIds),
    async listPage({ limit, after, ...filters }) {
      const query = new URLSearchParams()
      for (const [key, value] of Object.entries(filters)) if (value !== undefined) query.set(key, value)
      if (limit !== undefined) query.set('limit', String(limit))
      if (after) query.set('after', after)
      const body = await call('GET', `/mediaLibrary?${query}`)
      const cursor = (body as { cursor?: unknown }).cursor
      return {
        entries: listOf<EntryRecord>(body, 'list'),
        cursor: typeof cursor === 'string' ? cursor : null,
      }
    },
    async mediaTypes() {
      const body = (await call('GET', '/project/mediaTypes')) as { mediaTypes?: unknown }
      if (!Array.isArray(body.mediaTypes)) {
        throw new ApiError(200, { error: 'UnexpectedAnswer', error_details: { message: 'no mediaTypes' } })
      }
      return body.mediaTypes as MediaTypeConfig[]
    },
  }
}
