import { Type } from 'typebox'
import { ENTRY_ID_PATTERN } from '../../media/entry-validator.js'

const AssetDoc = Type.Object(
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
  { additionalProperties: false },
)

/** An import entry, for the OpenAPI document. Entries are checked one by one by the import service. */
export const ImportEntryDoc = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: ENTRY_ID_PATTERN })),
    systemName: Type.Optional(Type.String()),
    externalId: Type.Optional(Type.String({ description: 'Unique with systemName; requires systemName' })),
    mediaType: Type.String({ description: 'A media type handle of the project, e.g. image, video, file' }),
    asset: AssetDoc,
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    translations: Type.Optional(
      Type.Array(
        Type.Object({
          locale: Type.String(),
          metadata: Type.Record(Type.String(), Type.Unknown()),
          asset: Type.Optional(AssetDoc),
        }),
      ),
    ),
  },
  { additionalProperties: false },
)

/**
 * The body is checked only as far as "an object with an array": each entry then stands or fails on its
 * own in the per-entry results, as the reference requires.
 */
export function importBodySchema(maxEntries: number) {
  return Type.Object({
    mediaLibraryEntries: Type.Array(Type.Unknown(), {
      maxItems: maxEntries,
      description: `At most ${maxEntries} entries. Each entry: ${JSON.stringify(Object.keys(ImportEntryDoc.properties))}; see the ImportEntry schema.`,
    }),
  })
}

export const EntryIdParams = Type.Object({ apiVersion: Type.String(), id: Type.String() })

const ISO_EXAMPLE = '2026-01-31T12:00:00.000Z'

export function listQuerySchema(maxIds: number, maxLimit: number) {
  const list = (what: string) =>
    Type.String({ description: `Comma-separated ${what}, at most ${maxIds}`, maxLength: maxIds * 1100 })
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
        description: 'Search extension: the `cursor` of the previous page, as returned (opaque).',
      }),
    ),
  })
}

const RecordDoc = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'A MediaLibraryEntry: id, version, mediaType, systemName?, externalId?, asset, metadata, translations?, createdAt, updatedAt, then our state fields: state (active|revoked|archived), revokedAt?, revokeNote?, archivedAt?',
})

/** The answer to a search (our extension), for the OpenAPI document. */
export const SearchPageDoc = Type.Object(
  {
    results: Type.Optional(Type.Array(RecordDoc, { description: 'API versions 2026-01 and later' })),
    mediaLibraryEntries: Type.Optional(
      Type.Array(RecordDoc, { description: 'v1, beta and dated versions up to 2025-11' }),
    ),
    cursor: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description: 'Searches only: pass as `after` for the next page; null on the last page',
      }),
    ),
  },
  {
    description: 'A page of a search (search extension; no total is counted)',
    examples: [{ results: [], cursor: 'bWwxLjUw' }],
  },
)

export const PatchItem = Type.Object(
  {
    operation: Type.Unsafe<string>({
      type: 'string',
      enum: ['setMetadataProperty', 'replaceAsset', 'removeAsset', 'revokeAsset', 'unrevokeAsset', 'archive'],
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

export const PatchOk = Type.Object({ status: Type.Literal(200) }, { examples: [{ status: 200 }] })

export const KeysDoc = Type.Object(
  { results: Type.Array(Type.String()) },
  {
    description: 'Every storage key of the entry: main asset, translated assets, replaced and removed assets',
    examples: [{ results: ['my/key.jpg', 'my/translated-key.jpg', 'my/replaced-key.jpg'] }],
  },
)
