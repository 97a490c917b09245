import { sql, type Kysely, type Migration } from 'kysely'
import type { DialectCaps } from '../dialect.js'

/**
 * Entry events and webhooks (issue #16):
 * - `entry_events`: the outbox and the pull feed. One row per event, written in the transaction of the
 *   change, only while some webhook of the project subscribes to the event. `seq` orders a project's events
 *   in commit order (writers of one project take a lock before inserting, see entry-event.repository.ts).
 * - `entry_webhooks`: a project's subscriptions. Each has a signing secret, and its delivery state: `cursor`
 *   (the last event seq it has handled), attempts and next attempt of the event at its head, a lease.
 * - `entry_webhook_deliveries`: each delivery's outcome (delivered or failed), for `webhooks deliveries`.
 */
export function entryEventsMigration(caps: DialectCaps): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const seq =
        caps.name === 'sqlite'
          ? sql`integer PRIMARY KEY AUTOINCREMENT`
          : sql`bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY`
      const json = caps.name === 'sqlite' ? sql`text` : sql`jsonb`
      const time = caps.name === 'sqlite' ? sql`text` : sql`timestamptz`
      await sql`CREATE TABLE entry_events (
        seq ${seq},
        project text NOT NULL,
        event text NOT NULL,
        media_id text NOT NULL,
        actor ${json} NOT NULL,
        changes ${json},
        created_at ${time} NOT NULL
      )`.execute(db)
      await db.schema
        .createIndex('entry_events_project_seq')
        .on('entry_events')
        .columns(['project', 'seq'])
        .execute()
      await db.schema.createIndex('entry_events_created').on('entry_events').columns(['created_at']).execute()

      await db.schema
        .createTable('entry_webhooks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project', 'text', (c) => c.notNull().references('projects.handle'))
        .addColumn('handle', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('events', caps.jsonType, (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', caps.timestampType, (c) => c.notNull())
        .addColumn('cursor', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', caps.timestampType)
        .addColumn('lease_until', caps.timestampType)
        .addColumn('lease_owner', 'text')
        .addColumn('last_error', 'text')
        .execute()
      await db.schema
        .createIndex('entry_webhooks_project_handle')
        .on('entry_webhooks')
        .columns(['project', 'handle'])
        .unique()
        .execute()

      await db.schema
        .createTable('entry_webhook_deliveries')
        .addColumn('delivery_id', 'text', (c) => c.primaryKey())
        .addColumn('webhook_id', 'text', (c) => c.notNull())
        .addColumn('event_seq', 'bigint', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('media_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('at', caps.timestampType, (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('entry_webhook_deliveries_webhook')
        .on('entry_webhook_deliveries')
        .columns(['webhook_id', 'event_seq'])
        .execute()
      await db.schema
        .createIndex('entry_webhook_deliveries_at')
        .on('entry_webhook_deliveries')
        .columns(['at'])
        .execute()
    },
    async down() {
      throw new Error('0008-entry-events cannot be reverted')
    },
  }
}
