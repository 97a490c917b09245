// Over 300 lines: the media library's TypeBox schemas, which the OpenAPI document is generated from. Kept
// in one file while image variants, uploads and entry events add to it in parallel (issue #21: a split
// is a mechanical move by resource once those have merged).
import { Type } from 'typebox'
import { LIST_PARAM } from '../query-check.js'
import { ApiVersion, component, componentRef } from './common.js'
import { ENTRY_ID_PATTERN } from '../../media/entry-validator.js'
import { PATCH_OPERATIONS } from '../../media/patch.service.js'
import { LIBRARY_SORTS, type LibrarySort } from '../../media/library.service.js'

/** The seed page's example entry (docs: Import Media Library Entries). */
const SEED_ENTRY = {
  id: 'custom-1',
  systemName: 'externalSystem',
  externalId: '6hedie82',
  mediaType: 'image',
  asset: {
    key: '2020/1/22/3a2ede93.jpeg',
    url: 'http://li.s3.amazonaws.com/2020/1/22/3a2ede93.jpeg',
    size: 290339,
    width: 1200,
    height: 750,
    filename: 'image.jpg',
    mimeType: 'image/jpeg',
  },
  metadata: { title: 'Custom title' },
}

/** The seed's entry as stored: what the server answers for it. */
const SEED_RECORD = {
  ...SEED_ENTRY,
  version: 1,
  createdAt: '2026-01-31T12:00:00.000Z',
  updatedAt: '2026-01-31T12:00:00.000Z',
}

export const AssetDoc = component(
  'Asset',
  Type.Object(
    {
      key: Type.String({
        description: 'Relative storage key, e.g. 2022/08/25/<uuid>.jpeg (the grammar: docs/storage.md)',
      }),
      url: Type.String(),
      size: Type.Number(),
      width: Type.Optional(Type.Number({ description: 'images and videos' })),
      height: Type.Optional(Type.Number({ description: 'images and videos' })),
      duration: Type.Optional(Type.Number({ description: 'videos, in seconds' })),
      mimeType: Type.String(),
      filename: Type.String(),
    },
    { additionalProperties: false, examples: [SEED_ENTRY.asset] },
  ),
)

const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description: "Values of the media type's metadata properties, by handle",
})

/** An import entry, for the OpenAPI document. Entries are checked one by one by the import service. */
export const ImportEntryDoc = component(
  'ImportEntry',
  Type.Object(
    {
      id: Type.Optional(Type.String({ pattern: ENTRY_ID_PATTERN })),
      systemName: Type.Optional(Type.String()),
      externalId: Type.Optional(Type.String({ description: 'Unique with systemName; requires systemName' })),
      mediaType: Type.String({ description: 'A media type handle of the project, e.g. image, video, file' }),
      asset: AssetDoc,
      metadata: Type.Optional(Metadata),
      translations: Type.Optional(
        Type.Array(
          Type.Object(
            { locale: Type.String(), metadata: Metadata, asset: Type.Optional(AssetDoc) },
            { additionalProperties: false },
          ),
        ),
      ),
    },
    { additionalProperties: false, examples: [SEED_ENTRY] },
  ),
)

/**
 * The body is checked only as far as "an object with an array": each entry then stands or fails on its
 * own in the per-entry results, as the reference requires. The document shows the items as ImportEntry.
 */
export function importBodySchema(maxEntries: number) {
  return Type.Object(
    {
      mediaLibraryEntries: Type.Array(componentRef('ImportEntry'), {
        maxItems: maxEntries,
        description: `At most ${maxEntries} entries, each an ImportEntry; a refused entry fails alone, in its result.`,
      }),
    },
    { examples: [{ mediaLibraryEntries: [SEED_ENTRY] }] },
  )
}

const Translation = Type.Object(
  { locale: Type.String(), metadata: Metadata, asset: Type.Optional(AssetDoc) },
  { additionalProperties: false },
)

const Iso = (description: string) => Type.String({ format: 'date-time', description })

export const MediaLibraryEntry = component(
  'MediaLibraryEntry',
  Type.Object(
    {
      id: Type.String(),
      version: Type.Integer({
        minimum: 1,
        description: 'Increments on every change; PATCH `version` checks it',
      }),
      mediaType: Type.String(),
      systemName: Type.Optional(Type.String()),
      externalId: Type.Optional(Type.String()),
      asset: AssetDoc,
      metadata: Metadata,
      translations: Type.Optional(Type.Array(Translation)),
      createdAt: Iso('ISO-8601'),
      updatedAt: Iso('ISO-8601'),
      state: Type.Optional(
        Type.Unsafe<string>({
          type: 'string',
          enum: ['revoked', 'archived'],
          description: 'Extension: absent while active',
        }),
      ),
      revokedAt: Type.Optional(Iso('Extension: set while revoked')),
      revokeNote: Type.Optional(Type.String({ description: 'Extension: the revokeAsset note' })),
      archivedAt: Type.Optional(Iso('Extension: set once archived')),
      storedInArchiveAt: Type.Optional(
        Iso('Extension: set while stored in archive (protected from deletion; storeInArchive)'),
      ),
    },
    { additionalProperties: false, examples: [SEED_RECORD] },
  ),
)

/** One entry's result in an import response: `ok: true` with the record, or `ok: false` with the error. */
export const ImportResult = component(
  'ImportResult',
  Type.Object(
    {
      ok: Type.Boolean(),
      status: Type.Integer({ description: '200, or the error status (400, 409)' }),
      id: Type.Optional(Type.String({ description: 'ok: the entry id' })),
      record: Type.Optional(MediaLibraryEntry),
      correlation: Type.Optional(
        Type.String({
          description: 'not ok: `id: <id>`, else `externalId: <externalId>`, else `index: <n>`',
        }),
      ),
      error: Type.Optional(
        Type.String({ description: 'not ok: UniqueIdViolation, ValidationError, MetadataValidationErrors' }),
      ),
      error_details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    },
    { additionalProperties: false },
  ),
)

const SEED_ERRORS = [
  {
    ok: false,
    correlation: 'id: custom-1',
    status: 409,
    error: 'UniqueIdViolation',
    error_details: { message: "id is not unique: 'custom-1'" },
  },
  {
    ok: false,
    correlation: 'id: custom-4',
    status: 400,
    error: 'MetadataValidationErrors',
    error_details: {
      message: 'Metadata validation failed.',
      invalidMetadata: [{ metadataProperty: 'title', message: "The value of '/title' should be string" }],
    },
  },
]
const SEED_OK = { ok: true, status: 200, id: 'custom-1', record: SEED_RECORD }

export const ImportResponseV1 = component(
  'ImportResponseV1',
  Type.Object(
    { mediaLibraryEntries: Type.Array(ImportResult) },
    {
      additionalProperties: false,
      description: 'API versions v1, beta and 2025-03 to 2025-11: one result per entry, in request order',
      examples: [{ mediaLibraryEntries: [SEED_OK] }, { mediaLibraryEntries: SEED_ERRORS }],
    },
  ),
)

export const ImportResponse = component(
  'ImportResponse',
  Type.Object(
    { results: Type.Array(ImportResult) },
    {
      additionalProperties: false,
      description: 'API versions 2026-01 and later: one result per entry, in request order',
      examples: [{ results: [SEED_OK] }],
    },
  ),
)

/** The import's answer: the version's wrapper. */
export const ImportResponseAny = Type.Union([ImportResponseV1, ImportResponse], {
  description: 'One result per entry, in request order, in the wrapper of the API version',
  examples: [{ mediaLibraryEntries: [SEED_OK] }, { mediaLibraryEntries: SEED_ERRORS }],
})

export const EntryIdParams = Type.Object({
  apiVersion: ApiVersion,
  id: Type.String({ description: 'The entry id', examples: ['custom-1'] }),
})

/** serve-image's path: the route's wildcard, documented as the path parameter `key` (src/http/openapi.ts). */
export const ServeImageParams = Type.Object({
  apiVersion: ApiVersion,
  '*': Type.String({
    description: 'The storage key of the asset; may contain `/` (sent as is, not encoded)',
    examples: ['2020/1/22/3a2ede93.jpeg'],
  }),
})

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

export const PatchItem = Type.Object(
  {
    operation: Type.Unsafe<string>({
      type: 'string',
      enum: [...PATCH_OPERATIONS],
    }),
    propertyName: Type.Optional(
      Type.String({ minLength: 1, maxLength: 50, description: 'setMetadataProperty' }),
    ),
    value: Type.Optional(
      Type.Unknown({
        description: 'setMetadataProperty: the value (null or absent removes it); replaceAsset: the asset',
      }),
    ),
    locale: Type.Optional(Type.String({ minLength: 1, maxLength: 35, description: 'removeAsset' })),
    note: Type.Optional(Type.String({ maxLength: 200, description: 'revokeAsset: at most 200 characters' })),
    usageLogEntryId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 50,
        description: 'updateUsageLogEntry, removeUsageLogEntry: the usage-log entry',
      }),
    ),
    oldValue: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          'updateUsageLogEntry: a precondition; each field it names must equal the stored usage-log entry, else 409',
      }),
    ),
  },
  { additionalProperties: false },
)

export const PatchBody = Type.Object(
  {
    version: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]{1,15}$' })], {
        description: 'The stored version must equal it (string or number), else 409',
      }),
    ),
    preserveUpdatedAt: Type.Optional(
      Type.Boolean({ description: 'API versions 2026-03 and later: keep updatedAt as it is' }),
    ),
    patches: Type.Array(PatchItem, { minItems: 1, maxItems: 100 }),
  },
  {
    additionalProperties: false,
    examples: [
      {
        version: '1',
        patches: [
          { operation: 'setMetadataProperty', propertyName: 'title', value: 'updated title' },
          { operation: 'revokeAsset', note: 'Case #1' },
        ],
      },
    ],
  },
)

export const PatchOk = component(
  'PatchResponse',
  Type.Object({ status: Type.Literal(200) }, { additionalProperties: false, examples: [{ status: 200 }] }),
)

export const KeysDoc = component(
  'MediaLibraryEntryKeys',
  Type.Object(
    { results: Type.Array(Type.String()) },
    {
      additionalProperties: false,
      description:
        'Every storage key of the entry: main asset, translated assets, replaced and removed assets',
      examples: [{ results: ['my/key.jpg', 'my/translated-key.jpg', 'my/replaced-key.jpg'] }],
    },
  ),
)

const USAGE_EXAMPLE = {
  id: 'g6Hmp49Y',
  url: 'https://example.com/article/slug-121',
  state: 'confirmed',
  params: { medium: 'Internet' },
  purpose: 'web',
  documentId: 121,
  publicationId: 110,
  reportingDate: '2026-04-02T13:34:30.263Z',
  publicationDate: '2026-04-02T13:34:26.353Z',
}

export const UsageLogEntryDoc = component(
  'UsageLogEntry',
  Type.Object(
    {
      id: Type.String(),
      url: Type.Optional(Type.String({ description: 'A link to the publication or an external editor' })),
      state: Type.Unsafe<string>({ type: 'string', enum: ['pending', 'confirmed'] }),
      params: Type.Record(Type.String(), Type.Unknown(), {
        description: "Values for the purpose's paramsSchema",
      }),
      purpose: Type.String({ description: 'A usage purpose handle of the project' }),
      documentId: Type.Optional(Type.Integer()),
      publicationId: Type.Optional(Type.Integer()),
      reportingDate: Iso('When the usage was reported (added or last updated)'),
      publicationDate: Type.Optional(Iso('Required while confirmed')),
    },
    { additionalProperties: false, examples: [USAGE_EXAMPLE] },
  ),
)

export const UsageLogDoc = component(
  'MediaLibraryEntryUsageLog',
  Type.Object(
    { results: Type.Array(UsageLogEntryDoc) },
    {
      additionalProperties: false,
      description: 'The usage log of an entry, oldest first (release-2026-05)',
      examples: [{ results: [USAGE_EXAMPLE] }],
    },
  ),
)

/** A response without a body: 204 of DELETE. */
export const NoContent = Type.Unsafe({ type: 'null', description: 'Deleted: the entry is in the trash' })
