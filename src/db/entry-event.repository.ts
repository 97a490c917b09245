import { sql } from 'kysely'
import type { Actor, EntryEvent, EntryEventName } from '../events/entry-events.js'
import type { Database, Db } from './database.js'

/** An event as stored: the outbox row, served by the feed and delivered to webhooks. */
export interface StoredEntryEvent {
  seq: number
  project: string
  event: EntryEventName
  mediaId: string
  actor: Actor
  changes?: string[]
  createdAt: string
}

/**
 * The write side of the outbox, called by the entry repository inside the transaction of each change.
 */
export interface EntryOutbox {
  /**
   * The events some webhook of the project subscribes to. Cached per project for `cacheMs` (and dropped at
   * once when this process changes a subscription), so a batch costs no lookup in the common case.
   * Empty: the change writes nothing to the outbox (and reads nothing to tell what changed).
   */
  subscribed(project: string): Promise<ReadonlySet<string>>
  /** Inserts the subscribed ones among `events` in one multi-row insert, inside `trx`. */
  write(
    trx: Db,
    project: string,
    events: readonly EntryEvent[],
    subscribed: ReadonlySet<string>,
  ): Promise<void>
  /** Forgets the cached subscriptions of a project (a webhook was created or deleted). */
  invalidate(project: string): void
}

export interface EntryEventRepository extends EntryOutbox {
  /** A project's events after `after` (a seq), oldest first, at most `limit`. */
  listAfter(project: string, after: number, limit: number): Promise<StoredEntryEvent[]>
  /** The project's newest event seq (0 when none). */
  lastSeq(project: string): Promise<number>
  /** Removes events (and delivery records) older than `before`. Returns how many events went. */
  prune(before: Date): Promise<number>
}

/** Rows per insert statement: 6 parameters each, well under both databases' limits. */
const INSERT_CHUNK = 1000

export function createEntryEventRepository(
  database: Database,
  options: { actor: () => Actor; cacheMs?: number; now?: () => Date },
): EntryEventRepository {
  const { db, caps } = database
  const cacheMs = options.cacheMs ?? 2_000
  const now = options.now ?? (() => new Date())
  const cache = new Map<string, { events: ReadonlySet<string>; until: number }>()

  const fromRow = (row: {
    seq: unknown
    project: string
    event: string
    media_id: string
    actor: unknown
    changes: unknown
    created_at: unknown
  }): StoredEntryEvent => {
    const event: StoredEntryEvent = {
      seq: Number(row.seq),
      project: row.project,
      event: row.event as EntryEventName,
      mediaId: row.media_id,
      actor: caps.fromJson(row.actor) as Actor,
      createdAt: caps.fromTime(row.created_at),
    }
    if (row.changes !== null) event.changes = caps.fromJson(row.changes) as string[]
    return event
  }

  return {
    async subscribed(project) {
      const hit = cache.get(project)
      if (hit && hit.until > Date.now()) return hit.events
      const rows = await db
        .selectFrom('entry_webhooks')
        .select('events')
        .where('project', '=', project)
        .execute()
      const events = new Set<string>()
      for (const row of rows) for (const e of caps.fromJson(row.events) as string[]) events.add(e)
      if (cache.size > 10_000) cache.clear()
      cache.set(project, { events, until: Date.now() + cacheMs })
      return events
    },

    async write(trx, project, events, subscribed) {
      const wanted = events.filter((e) => subscribed.has(e.event))
      if (wanted.length === 0) return
      // PostgreSQL: the project's event writers take turns from here to commit, so seqs are visible in
      // the order they were taken and a reader paging by seq never skips one that commits late. The
      // lock is taken last, after the change's own rows: it is held only for this insert and the commit.
      if (caps.name === 'postgres') {
        await sql`SELECT pg_advisory_xact_lock(hashtext(${`medialib.entry_events:${project}`}))`.execute(trx)
      }
      const actor = JSON.stringify(options.actor())
      const at = caps.toTime(now())
      for (let i = 0; i < wanted.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('entry_events')
          .values(
            wanted.slice(i, i + INSERT_CHUNK).map((e) => ({
              project,
              event: e.event,
              media_id: e.mediaId,
              actor,
              changes: e.changes === undefined ? null : JSON.stringify(e.changes),
              created_at: at,
            })),
          )
          .execute()
      }
    },

    invalidate(project) {
      cache.delete(project)
    },

    async listAfter(project, after, limit) {
      const rows = await db
        .selectFrom('entry_events')
        .selectAll()
        .where('project', '=', project)
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(limit)
        .execute()
      return rows.map(fromRow)
    },

    async lastSeq(project) {
      const row = await db
        .selectFrom('entry_events')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('project', '=', project)
        .executeTakeFirst()
      return Number(row?.seq ?? 0)
    },

    async prune(before) {
      const at = caps.toTime(before)
      await db.deleteFrom('entry_webhook_deliveries').where('at', '<', at).execute()
      const result = await db.deleteFrom('entry_events').where('created_at', '<', at).executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
