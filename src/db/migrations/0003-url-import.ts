import { sql, type Kysely, type Migration } from 'kysely'
import type { DialectCaps } from '../dialect.js'

/**
 * URL imports:
 * - `import_jobs`: one row per `POST /import/images|videos|files`, with the webhook's delivery state;
 * - `import_items`: one row per URL; the queue that workers claim (state, lease, attempts, next attempt).
 *   `entry_id` is chosen when the job is queued, so an attempt that died after creating the entry is
 *   recognised by the next one (exactly one entry per item); `blob_key` names the blob the last attempt
 *   wrote, so a dead attempt's blob is deleted or adopted, never orphaned.
 * - `media_entries.content_sha256`: the SHA-256 of the entry's asset bytes, to skip unchanged re-imports;
 *   an index on the asset's storage key, for serve-image.
 * - `webhook_secrets`: the per-project secret that signs webhook bodies.
 */
export function urlImportMigration(caps: DialectCaps): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('import_jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project', 'text', (c) => c.notNull().references('projects.handle'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('system_name', 'text', (c) => c.notNull())
        .addColumn('webhook', 'text')
        .addColumn('context', caps.jsonType)
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('item_count', 'integer', (c) => c.notNull())
        .addColumn('created_at', caps.timestampType, (c) => c.notNull())
        .addColumn('finished_at', caps.timestampType)
        .addColumn('webhook_state', 'text')
        .addColumn('webhook_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('webhook_next_at', caps.timestampType)
        .addColumn('webhook_error', 'text')
        .execute()
      await db.schema
        .createIndex('import_jobs_webhook_due')
        .on('import_jobs')
        .columns(['webhook_state', 'webhook_next_at'])
        .execute()

      await db.schema
        .createTable('import_items')
        .addColumn('job_id', 'text', (c) => c.notNull().references('import_jobs.id'))
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('file_name', 'text')
        .addColumn('media_type', 'text')
        .addColumn('metadata', caps.jsonType)
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', caps.timestampType, (c) => c.notNull())
        .addColumn('lease_until', caps.timestampType)
        .addColumn('worker', 'text')
        .addColumn('entry_id', 'text', (c) => c.notNull())
        .addColumn('blob_key', 'text')
        .addColumn('result', caps.jsonType)
        .addColumn('updated_at', caps.timestampType, (c) => c.notNull())
        .addPrimaryKeyConstraint('import_items_pkey', ['job_id', 'idx'])
        .execute()
      await db.schema
        .createIndex('import_items_queue')
        .on('import_items')
        .columns(['state', 'next_attempt_at'])
        .execute()
      // Whether a job still has open items (finishing a job) is answered from this index.
      await db.schema
        .createIndex('import_items_job_state')
        .on('import_items')
        .columns(['job_id', 'state'])
        .execute()
      await db.schema
        .createIndex('import_items_lease')
        .on('import_items')
        .columns(['state', 'lease_until'])
        .execute()

      await db.schema.alterTable('media_entries').addColumn('content_sha256', 'text').execute()
      // serve-image finds the entry of a storage key.
      const assetKey = caps.name === 'sqlite' ? sql`(json_extract(asset, '$.key'))` : sql`((asset->>'key'))`
      await sql`create index media_entries_asset_key on media_entries (project, ${assetKey})`.execute(db)

      await db.schema
        .createTable('webhook_secrets')
        .addColumn('project', 'text', (c) => c.primaryKey().references('projects.handle'))
        .addColumn('secret', 'text', (c) => c.notNull())
        .execute()
    },
    async down() {
      throw new Error('0003-url-import cannot be reverted')
    },
  }
}
