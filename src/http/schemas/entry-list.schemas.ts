// The list and search TypeBox schemas: the query string and the answers of each API version.
import { Type } from 'typebox'
import { LIST_PARAM } from '../query-check.js'
import { component } from './common.js'
import { LIBRARY_SORTS, type LibrarySort } from '../../media/library.service.js'
import { MediaLibraryEntry, SEED_RECORD } from './entry.schemas.js'

const ISO_EXAMPLE = '2026-01-31T12:00:00.000Z'

export function listQuerySchema(maxIds: number, maxLimit: number) {
  const list = (what: string) =>
    Type.String({
      description: `Comma-separated ${what}, at most ${maxIds}; also as an array (ids[]=a&ids[]=b, ids[0]=a, ids=a&ids=b)`,
      maxLength: maxIds * 1100,
      [LIST_PARAM]: true,
    })
  const time = (what: string) =>
    Type.String({ description: `ISO-8601 date-time (search extension): ${what}`, examples: [ISO_EXAMPLE] })
  return Type.Object({
    ids: Type.Optional(list('entry ids')),
    externalId: Type.Optional(list('externalIds (with systemName)')),
    externalIds: Type.Optional(list('externalIds (with systemName); alias of externalId')),
    systemName: Type.Optional(
      Type.String({ maxLength: 255, description: 'With externalId: the lookup. Alone: a search filter.' }),
    ),
    mediaType: Type.Optional(
      Type.String({
        maxLength: 50,
        description: 'Search extension: a media type handle',
        examples: ['image'],
      }),
    ),
    state: Type.Optional(
      Type.String({
        maxLength: 40,
        description:
          'Search extension: comma-separated states among active, revoked, archived. Default: active,revoked (archived entries are left out unless asked for).',
        examples: ['active,revoked,archived'],
      }),
    ),
    used: Type.Optional(
      Type.Unsafe<string>({
        type: 'string',
        enum: ['true', 'false'],
        description:
          'Search extension: `true` lists entries with usage-log entries, `false` the unused ones (index-backed)',
      }),
    ),
    sourceState: Type.Optional(
      Type.Unsafe<'missing'>({
        type: 'string',
        enum: ['missing'],
        description:
          'Search extension: `missing` lists the entries of sources (`systemName` = the source handle) whose file or object the latest scan no longer found; the entry stays until removed (index-backed)',
      }),
    ),
    createdAfter: Type.Optional(time('entries created strictly after')),
    createdBefore: Type.Optional(time('entries created strictly before')),
    updatedAfter: Type.Optional(time('entries updated strictly after')),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'Search extension: full text over the metadata properties the media type marks `index: true` and the filenames. Every word must match, as a word prefix; case and accents are ignored.',
        examples: ['harbour sunset'],
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: maxLimit,
        description: `Search extension: entries per page, 1 to ${maxLimit} (default 50)`,
      }),
    ),
    after: Type.Optional(
      Type.String({
        maxLength: 100,
        description:
          'Search extension: the `cursor` of the previous page, as returned (opaque). A cursor belongs to its sort: with another `sort` it is a 400.',
      }),
    ),
    sort: Type.Optional(
      Type.Unsafe<LibrarySort>({
        type: 'string',
        enum: [...LIBRARY_SORTS],
        description:
          'Search extension: `-createdAt` (newest first), `createdAt`, `-updatedAt`, `updatedAt`, ties by insertion order; `relevance` (best first, with `q` only). Default (absent): insertion order, oldest first, as before sorts existed.',
        examples: ['-createdAt'],
      }),
    ),
    count: Type.Optional(
      Type.Boolean({
        description:
          'Search extension: `true` adds `total` (the number of matches) and `totalExact` (false when `total` is an estimate, beyond the configured `limits.countExactUpTo`).',
      }),
    ),
  })
}

const Total = Type.Optional(
  Type.Integer({
    minimum: 0,
    description:
      'Searches with `count=true` only: the number of matches (the reference names a paginated total `total`)',
  }),
)
const TotalExact = Type.Optional(
  Type.Boolean({
    description: 'With `total`: true when counted exactly, false when `total` is an estimate (extension)',
  }),
)

const Cursor = Type.Optional(
  Type.Union([Type.String(), Type.Null()], {
    description: 'Searches only: pass as `after` for the next page; null on the last page',
  }),
)

export const MediaLibraryEntryListV1 = component(
  'MediaLibraryEntryListV1',
  Type.Object(
    {
      mediaLibraryEntries: Type.Array(MediaLibraryEntry),
      cursor: Cursor,
      total: Total,
      totalExact: TotalExact,
    },
    {
      additionalProperties: false,
      description:
        'API versions v1, beta and 2025-03 to 2025-11 (searches add `cursor`, and `total` with `count=true`)',
      examples: [{ mediaLibraryEntries: [SEED_RECORD] }],
    },
  ),
)

export const MediaLibraryEntryList = component(
  'MediaLibraryEntryList',
  Type.Object(
    { results: Type.Array(MediaLibraryEntry), cursor: Cursor, total: Total, totalExact: TotalExact },
    {
      additionalProperties: false,
      description: 'API versions 2026-01 and later (searches add `cursor`, and `total` with `count=true`)',
      examples: [{ results: [SEED_RECORD], cursor: 'bWwxLjUw' }],
    },
  ),
)

/** A list or search answer: the version's wrapper. */
export const MediaLibraryEntryListAny = Type.Union([MediaLibraryEntryListV1, MediaLibraryEntryList], {
  description:
    'The entries found (lookups, in the order asked) or a page (searches), in the wrapper of the API version',
  examples: [{ mediaLibraryEntries: [SEED_RECORD] }, { results: [SEED_RECORD], cursor: null }],
})
