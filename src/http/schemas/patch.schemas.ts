// The PATCH TypeBox schemas: the operations, the body and its answer.
import { Type } from 'typebox'
import { component } from './common.js'
import { PATCH_OPERATIONS } from '../../media/patch.service.js'

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
