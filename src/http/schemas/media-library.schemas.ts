import { Type } from 'typebox'
import { ENTRY_ID_PATTERN } from '../../media/entry-validator.js'

const AssetDoc = Type.Object(
  {
    key: Type.String({ description: 'Relative storage key, e.g. 2022/08/25/<uuid>.jpeg; not under v/' }),
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

export function listQuerySchema(maxIds: number) {
  const list = (what: string) =>
    Type.String({ description: `Comma-separated ${what}, at most ${maxIds}`, maxLength: maxIds * 1100 })
  return Type.Object({
    ids: Type.Optional(list('entry ids')),
    externalId: Type.Optional(list('externalIds (with systemName)')),
    externalIds: Type.Optional(list('externalIds (with systemName); alias of externalId')),
    systemName: Type.Optional(Type.String({ maxLength: 255 })),
  })
}
