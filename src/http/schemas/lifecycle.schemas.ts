import { Type } from 'typebox'
import { ENTRY_EVENTS, type EntryEventName } from '../../events/entry-events.js'
import { ENTRY_ID_PATTERN } from '../../media/entry-validator.js'
import { component } from './common.js'

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
