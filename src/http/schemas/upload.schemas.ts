import { Type } from 'typebox'
import { component } from './common.js'
import { ImportResult } from './import.schemas.js'

/** Marks a body the route reads itself as a stream (multipart): documented, not validated as JSON. */
export const STREAMED_BODY = 'x-streamed-body'

/** The multipart form, as the document shows it; the route reads the parts as they stream in. */
export const MultipartUploadBody = Type.Unsafe({
  [STREAMED_BODY]: true,
  content: {
    'multipart/form-data': {
      schema: {
        [STREAMED_BODY]: true,
        type: 'object',
        required: ['file'],
        properties: {
          file: {
            type: 'array',
            items: { type: 'string', format: 'binary' },
            description: 'One or more files (parts named `file`), each becoming one entry, in order',
          },
          mediaType: {
            type: 'string',
            description: 'Media type handle; default: `image`, `video` or `file` by the sniffed type',
          },
          id: { type: 'string', description: 'The id of the next file’s entry' },
          systemName: { type: 'string', description: 'With externalId: the source system' },
          externalId: { type: 'string', description: 'The externalId of the next file’s entry' },
          metadata: { type: 'string', description: 'JSON object: metadata of the following files' },
          entryId: { type: 'string', description: 'Replace the file of this entry (next file only)' },
          version: { type: 'string', description: 'With entryId: the version the entry must have' },
        },
      },
      encoding: { file: { contentType: 'application/octet-stream' } },
    },
  },
})

/** One file's result: the import's result, plus `duplicate` when the bytes were already an entry's. */
export const UploadResult = component(
  'UploadResult',
  Type.Object(
    {
      ...ImportResult.properties,
      status: Type.Integer({ description: '200, or the error status (400, 404, 409, 413, 415)' }),
      id: Type.Optional(Type.String({ description: 'ok: the entry id (the existing one for a duplicate)' })),
      duplicate: Type.Optional(
        Type.Boolean({ description: 'ok: the project already had these bytes (duplicate policy `skip`)' }),
      ),
      error: Type.Optional(
        Type.String({
          description:
            'not ok: ValidationError, MetadataValidationErrors, UniqueIdViolation, UploadRestriction, ' +
            'DuplicateFile, NotFound, Conflict',
        }),
      ),
    },
    { additionalProperties: false },
  ),
)

export const UploadResponseAny = Type.Union(
  [
    Type.Object({ mediaLibraryEntries: Type.Array(UploadResult) }, { additionalProperties: false }),
    Type.Object({ results: Type.Array(UploadResult) }, { additionalProperties: false }),
  ],
  { description: 'One result per file, in the order of the parts, in the wrapper of the API version' },
)

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the bytes, lowercase hex' })

export function knownHashesBody(max: number) {
  return Type.Object(
    { sha256: Type.Array(Sha256, { maxItems: max, description: `At most ${max} hashes` }) },
    { additionalProperties: false },
  )
}

export const KnownHashes = component(
  'KnownHashes',
  Type.Object(
    {
      known: Type.Record(Type.String(), Type.String(), {
        description: 'sha256 → id of an entry holding those bytes; hashes the project lacks are absent',
      }),
    },
    { additionalProperties: false, examples: [{ known: { ['ab'.repeat(32)]: 'yLBGtTjWN4ba' } }] },
  ),
)
