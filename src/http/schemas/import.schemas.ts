// The import's TypeBox schemas: the entries sent, the per-entry results, the responses of each API version.
import { Type } from 'typebox'
import { component, componentRef } from './common.js'
import { ENTRY_ID_PATTERN } from '../../media/entry-validator.js'
import { AssetDoc, MediaLibraryEntry, Metadata, SEED_ENTRY, SEED_RECORD } from './entry.schemas.js'

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
