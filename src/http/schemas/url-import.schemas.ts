import { Type } from 'typebox'
import type { ImportKind } from '../../db/import-job.repository.js'

const Item = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1024, description: 'Stored as the entry’s externalId' }),
    url: Type.String({ minLength: 1, maxLength: 4096, description: 'http(s) URL of the file' }),
    fileName: Type.Optional(Type.String({ maxLength: 1024, description: 'Becomes the title' })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    mediaType: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  },
  { additionalProperties: false },
)

/** The body of `POST /import/images|videos|files`; the list's key is the kind. */
export function urlImportBodySchema(kind: ImportKind, maxItems: number) {
  return Type.Object(
    {
      systemName: Type.String({ minLength: 1, maxLength: 255 }),
      webhook: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
      context: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      [kind]: Type.Array(Item, { minItems: 1, maxItems }),
    },
    { additionalProperties: false, required: ['systemName', kind] },
  )
}

export const UrlImportQueued = Type.Object({ id: Type.String() })

export const StatusQuery = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
)
