import { Type } from 'typebox'
import { ENTRY_EVENTS, type EntryEventName } from '../../events/entry-events.js'
import { ENTRY_ID_PATTERN } from '../../media/entry-validator.js'
import { component } from './common.js'
import { MediaLibraryEntry, SEED_RECORD } from './entry.schemas.js'

/** The body of `POST /mediaLibrary/delete`. */
export function batchDeleteBodySchema(maxIds: number) {
  return Type.Object(
    {
      ids: Type.Array(Type.String({ pattern: ENTRY_ID_PATTERN, description: 'An entry id' }), {
        minItems: 1,
        maxItems: maxIds,
        description: `1 to ${maxIds} entry ids (\`limits.deleteEntriesPerRequest\`), each deleted on its own.`,
      }),
    },
    { additionalProperties: false, examples: [{ ids: ['custom-1', 'custom-2'] }] },
  )
}

export const EventsQuery = Type.Object(
  {
    after: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,18}$',
        description: 'The `cursor` of the previous page (or of an event); absent: from the oldest kept event',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Events per page (1–1000)' }),
    ),
  },
  { additionalProperties: false },
)

export const Actor = Type.Object(
  {
    type: Type.Union([Type.Literal('user'), Type.Literal('api-client'), Type.Literal('importer')]),
    name: Type.Optional(Type.String({ description: 'The API token’s name' })),
  },
  { additionalProperties: false, description: 'Who made the change' },
)

export const EntryEventDoc = component(
  'MediaLibraryEntryEvent',
  Type.Object(
    {
      cursor: Type.String({ description: 'The event’s position in the feed; pass it as `after`' }),
      event: Type.Unsafe<EntryEventName>({
        type: 'string',
        enum: [...ENTRY_EVENTS],
        description: 'The event name',
      }),
      projectId: Type.String(),
      projectHandle: Type.String(),
      mediaId: Type.String({ description: 'The entry id' }),
      actor: Actor,
      changes: Type.Optional(
        Type.Array(Type.String(), {
          description: '`mediaLibraryEntry.update` only: `metadata.<property>`, `asset`, `translations`, …',
        }),
      ),
      createdAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
)

export const EventPage = component(
  'MediaLibraryEntryEventPage',
  Type.Object(
    {
      results: Type.Array(EntryEventDoc),
      cursor: Type.String({
        description:
          'Pass as `after` for the next page: the last event’s cursor, or `after` again when none is new',
      }),
    },
    {
      additionalProperties: false,
      examples: [
        {
          results: [
            {
              cursor: '42',
              event: 'mediaLibraryEntry.update',
              projectId: 'default',
              projectHandle: 'default',
              mediaId: 'custom-1',
              actor: { type: 'api-client', name: 'cms' },
              changes: ['metadata.title'],
              createdAt: '2026-12-03T10:00:00.000Z',
            },
          ],
          cursor: '42',
        },
      ],
    },
  ),
)

export const TrashListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Entries to list (1–1000)' }),
    ),
  },
  { additionalProperties: false },
)

export const TrashedEntryDoc = component(
  'TrashedMediaLibraryEntry',
  Type.Object(
    {
      ...MediaLibraryEntry.properties,
      deletedAt: Type.String({
        format: 'date-time',
        description: 'When it was deleted (moved to the trash)',
      }),
      restorableUntil: Type.String({
        format: 'date-time',
        description:
          'Until when the PATCH operation `restore` brings it back (`deletedAt` + `trashDays`); the worker ' +
          'purges it after that',
      }),
    },
    { additionalProperties: false },
  ),
)

export const TrashList = component(
  'MediaLibraryTrash',
  Type.Object(
    { results: Type.Array(TrashedEntryDoc, { description: 'Most recently deleted first' }) },
    {
      additionalProperties: false,
      examples: [
        {
          results: [
            {
              ...SEED_RECORD,
              version: 2,
              deletedAt: '2026-02-01T09:00:00.000Z',
              restorableUntil: '2026-03-03T09:00:00.000Z',
            },
          ],
        },
      ],
    },
  ),
)
