import { Type } from 'typebox'
import { ENTRY_ID_PATTERN } from '../../media/entry-validator.js'
import { PatchBody } from './patch.schemas.js'

/** One entry of a batch PATCH: the single PATCH's body plus the entry's id. */
const BatchPatchEntry = Type.Object(
  {
    id: Type.String({ pattern: ENTRY_ID_PATTERN, description: 'The entry id' }),
    version: PatchBody.properties.version,
    preserveUpdatedAt: PatchBody.properties.preserveUpdatedAt,
    patches: PatchBody.properties.patches,
  },
  { additionalProperties: false },
)

/**
 * The body of `PATCH /mediaLibrary`: checked whole, so a malformed entry refuses the request before
 * anything is written. What only the stored entry can tell (not found, version, validity) fails per entry.
 */
export function batchPatchBodySchema(maxEntries: number) {
  return Type.Object(
    {
      entries: Type.Array(BatchPatchEntry, {
        minItems: 1,
        maxItems: maxEntries,
        description: `1 to ${maxEntries} entries; each entry's patches apply all or none, independently of the others.`,
      }),
    },
    {
      additionalProperties: false,
      examples: [
        {
          entries: [
            {
              id: 'custom-1',
              version: 1,
              patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'New title' }],
            },
            { id: 'custom-2', patches: [{ operation: 'archive' }] },
          ],
        },
      ],
    },
  )
}
