import { Type, type TArray, type TSchema } from 'typebox'
import { component } from './common.js'
import type { ImportKind } from '../../jobs/import-job.js'

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
  // The list's key is computed; its type names every kind, so a route reads `body[kind]` as the list.
  const list = { [kind]: Type.Array(Item, { minItems: 1, maxItems }) } as Record<
    ImportKind,
    TArray<typeof Item>
  >
  return Type.Object(
    {
      systemName: Type.String({ minLength: 1, maxLength: 255 }),
      webhook: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
      context: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      ...list,
    },
    { additionalProperties: false, required: ['systemName', kind] },
  )
}

export const UrlImportQueued = component(
  'UrlImportQueued',
  Type.Object(
    { id: Type.String({ description: 'The job id, for the status endpoint' }) },
    { additionalProperties: false, examples: [{ id: '25bzj8j' }] },
  ),
)

const KIND_ITEM_KEY = { images: 'image', videos: 'video', files: 'file' } as const

/** One item of a finished job, as the reference shows it; `image`/`video` or `mediaId` once stored. */
function statusItem(kind: ImportKind) {
  const stored: Record<string, TSchema> =
    kind === 'images'
      ? {
          image: Type.Optional(
            Type.Object(
              {
                mediaId: Type.String(),
                originalUrl: Type.String(),
                url: Type.String(),
                width: Type.Optional(Type.Number()),
                height: Type.Optional(Type.Number()),
                mimeType: Type.String(),
                imageService: Type.String(),
              },
              { additionalProperties: false },
            ),
          ),
        }
      : kind === 'videos'
        ? {
            video: Type.Optional(
              Type.Object(
                { mediaId: Type.String(), originalUrl: Type.String(), mimeType: Type.String() },
                { additionalProperties: false },
              ),
            ),
          }
        : { mediaId: Type.Optional(Type.String()) }
  return Type.Object(
    {
      state: Type.Unsafe<string>({ type: 'string', enum: ['success', 'skipped', 'failed'] }),
      reason: Type.Optional(Type.String({ description: 'skipped and failed items' })),
      externalId: Type.String(),
      systemName: Type.String(),
      ...stored,
    },
    { additionalProperties: false, description: `One ${KIND_ITEM_KEY[kind]} of the job` },
  )
}

const Webhook = Type.Object(
  {
    state: Type.Unsafe<string>({ type: 'string', enum: ['waiting', 'pending', 'delivered', 'failed'] }),
    attempts: Type.Integer(),
    lastError: Type.Optional(Type.String()),
  },
  { additionalProperties: false, description: 'Extension: the webhook delivery, when the job has one' },
)

const STATUS_NAMES = { images: 'ImageImportStatus', videos: 'VideoImportStatus', files: 'FileImportStatus' }

/** The status of a URL import job: `started`, or finished with each item's outcome. */
export function jobStatusSchema(kind: ImportKind) {
  return component(
    STATUS_NAMES[kind],
    Type.Object(
      {
        finished: Type.Boolean(),
        state: Type.Unsafe<string>({ type: 'string', enum: ['started', 'success', 'failed'] }),
        id: Type.String(),
        startedAt: Type.Optional(Type.String({ description: 'while started' })),
        [kind]: Type.Optional(Type.Array(statusItem(kind), { description: 'once finished' })),
        webhook: Type.Optional(Webhook),
      },
      {
        additionalProperties: false,
        description: 'The job: `started` (with `startedAt`), or finished (`success`/`failed`) with its items',
        examples: [
          { finished: false, state: 'started', id: '243kdc', startedAt: '2026-01-31T12:00:00.000Z' },
        ],
      },
    ),
  )
}

export const StatusQuery = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
)
