// The media library entry's TypeBox schemas (the OpenAPI document is generated from them): the entry, its
// asset, its path parameters, its keys and usage log. Lists, imports and patches have their own files.
import { Type } from 'typebox'
import { ApiVersion, component } from './common.js'

/** The seed page's example entry (docs: Import Media Library Entries). */
export const SEED_ENTRY = {
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
export const SEED_RECORD = {
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

export const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description: "Values of the media type's metadata properties, by handle",
})

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
