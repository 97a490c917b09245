import type { Config } from '../../config.js'
import { BadRequestError } from '../../errors.js'
import { ENTRY_STATES, type EntryState } from '../../media/entry.js'
import {
  MAX_PAGE_SIZE,
  type LibrarySearch,
  type LibraryService,
  type LibrarySort,
} from '../../media/library.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { presentEntry, presentList, presentPage } from '../api-versions.js'
import { principalOf, requireScope } from '../auth.js'
import { ApiVersionParams, bearerSecurity, described } from '../schemas/common.js'
import { EntryIdParams, MediaLibraryEntry } from '../schemas/entry.schemas.js'
import { listQuerySchema, MediaLibraryEntryListAny } from '../schemas/entry-list.schemas.js'
import { checkApiVersion, versionOf } from './context.js'
import { mediaLibraryBatchRoutes } from './media-library-batch.routes.js'
import { mediaLibraryWriteRoutes } from './media-library-write.routes.js'
import type { RoutePlugin } from '../type-provider.js'

export interface MediaLibraryRoutesDeps {
  config: Config
  tokens: TokenService
  library: LibraryService
}

interface ListQuery {
  ids?: string
  externalId?: string
  externalIds?: string
  systemName?: string
  mediaType?: string
  state?: string
  createdAfter?: string
  createdBefore?: string
  updatedAfter?: string
  used?: string
  sourceState?: 'missing'
  q?: string
  limit?: number
  after?: string
  sort?: LibrarySort
  count?: boolean
}

const SEARCH_ONLY = [
  'mediaType',
  'state',
  'createdAfter',
  'createdBefore',
  'updatedAfter',
  'used',
  'sourceState',
  'q',
  'limit',
  'after',
  'sort',
  'count',
] as const

function parseTime(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined
  const time = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(value) ? Date.parse(value) : NaN
  if (Number.isNaN(time)) {
    throw new BadRequestError({ [name]: 'must be an ISO-8601 date or date-time, e.g. 2026-01-31T12:00:00Z' })
  }
  return new Date(time)
}

function parseStates(value: string | undefined): EntryState[] | undefined {
  if (value === undefined) return undefined
  const states = splitList(value)
  const wrong = states.find((s) => !ENTRY_STATES.includes(s as EntryState))
  if (wrong !== undefined || states.length === 0) {
    throw new BadRequestError({ state: `must be a comma-separated list of ${ENTRY_STATES.join(', ')}` })
  }
  return states as EntryState[]
}

function searchOf(query: ListQuery): LibrarySearch {
  const search: LibrarySearch = {}
  if (query.mediaType !== undefined) search.mediaType = query.mediaType
  if (query.systemName !== undefined) search.systemName = query.systemName
  const states = parseStates(query.state)
  if (states) search.states = states
  const createdAfter = parseTime('createdAfter', query.createdAfter)
  if (createdAfter) search.createdAfter = createdAfter
  const createdBefore = parseTime('createdBefore', query.createdBefore)
  if (createdBefore) search.createdBefore = createdBefore
  const updatedAfter = parseTime('updatedAfter', query.updatedAfter)
  if (updatedAfter) search.updatedAfter = updatedAfter
  if (query.used !== undefined) search.used = query.used === 'true'
  if (query.sourceState !== undefined) search.sourceState = query.sourceState
  if (query.q !== undefined) search.q = query.q
  if (query.limit !== undefined) search.limit = query.limit
  if (query.after !== undefined) search.after = query.after
  if (query.sort !== undefined) search.sort = query.sort
  if (query.count === true) search.count = true
  return search
}

function splitList(value: string | undefined): string[] {
  if (value === undefined) return []
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/** Reads: one entry by id; several by ids or by (systemName, externalIds); searches. Also registers PATCH and keys. */
export function mediaLibraryRoutes(deps: MediaLibraryRoutesDeps): RoutePlugin {
  const { config, tokens, library } = deps
  const maxIds = config.limits.idsPerRequest
  return async (app) => {
    const auth = [checkApiVersion, requireScope(tokens, 'public-api:read')]

    app.get(
      '/api/:apiVersion/mediaLibrary/:id',
      {
        onRequest: auth,
        schema: {
          tags: ['Media Library'],
          operationId: 'getMediaLibraryEntryById',
          summary: 'Get a single media library entry',
          security: bearerSecurity('public-api:read'),
          params: EntryIdParams,
          response: { 200: described(MediaLibraryEntry, 'The entry') },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const { id } = request.params
        return presentEntry(await library.getOrFail(project, id))
      },
    )

    app.get(
      '/api/:apiVersion/mediaLibrary',
      {
        onRequest: auth,
        schema: {
          tags: ['Media Library'],
          operationId: 'getMediaLibraryEntries',
          summary: 'Get entries by ids or by externalId and systemName; or search and page (extension)',
          description:
            'With `ids`, or `externalId` and `systemName`: the reference lookups. Without them: a search ' +
            '(our extension) by `mediaType`, `systemName`, `state`, `createdAfter`, `createdBefore`, ' +
            '`updatedAfter`, `used`, `sourceState` and full text `q`, in insertion order or by `sort`, `limit` per page; the answer ' +
            'carries a `cursor` to pass back as `after` (with the same sort), and with `count=true` `total` and ' +
            '`totalExact`. Archived entries are listed only when `state` names them.',
          security: bearerSecurity('public-api:read'),
          params: ApiVersionParams,
          querystring: listQuerySchema(maxIds, MAX_PAGE_SIZE),
          response: { 200: MediaLibraryEntryListAny },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const version = versionOf(request)
        const { query } = request
        const ids = splitList(query.ids)
        const externalIds = [...splitList(query.externalId), ...splitList(query.externalIds)]
        if (ids.length === 0 && externalIds.length === 0) {
          const page = await library.search(project, searchOf(query))
          return presentPage(page.entries, page.cursor, version, page.count)
        }
        const searchParams = SEARCH_ONLY.filter((k) => query[k] !== undefined)
        if (searchParams.length > 0) {
          throw new BadRequestError({
            [searchParams[0]!]: 'applies to searches, not to lookups by ids or externalId',
          })
        }
        if (ids.length > maxIds || externalIds.length > maxIds) {
          throw new BadRequestError({ message: `At most ${maxIds} ids or externalIds per request` })
        }
        if (ids.length > 0 && externalIds.length > 0) {
          throw new BadRequestError({ message: 'Give either ids, or externalId with systemName, not both' })
        }
        if (externalIds.length > 0) {
          if (!query.systemName) {
            throw new BadRequestError({ systemName: 'is required with externalId' })
          }
          const entries = await library.listByExternalIds(project, query.systemName, externalIds)
          return presentList(entries.map(presentEntry), version)
        }
        const entries = await library.listByIds(project, ids)
        return presentList(entries.map(presentEntry), version)
      },
    )

    await app.register(mediaLibraryWriteRoutes(deps))
    await app.register(mediaLibraryBatchRoutes(deps))
  }
}
