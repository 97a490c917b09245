import type { Kysely, Migration } from 'kysely'
import type { DialectCaps } from '../dialect.js'

/**
 * Source scans as durable jobs (issue #22):
 * - `source_scans`: one row per scan of a source (its options and state);
 * - `source_scan_tasks`: the work queue of a scan, claimed with leases as `import_items` are (same column
 *   names, so the fair claim serves both): a `list` task lists one page after a cursor and queues the page's
 *   `batch` tasks and the next `list` task in one transaction; a `batch` task probes its objects;
 * - `source_scan_results`: what the scan did to each object (`created`, `updated`, `unchanged`, `missing`,
 *   `failed` with a reason), keyed by path, so a batch run twice (a worker died) reports each object once.
 */
export function sourceScansMigration(caps: DialectCaps): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('source_scans')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', caps.timestampType, (c) => c.notNull())
        .addColumn('finished_at', caps.timestampType)
        .addForeignKeyConstraint(
          'source_scans_source',
          ['project', 'source'],
          'sources',
          ['project', 'handle'],
          (c) => c.onDelete('cascade'),
        )
        .execute()
      await db.schema
        .createIndex('source_scans_by_source')
        .on('source_scans')
        .columns(['project', 'source', 'created_at'])
        .execute()
      await db.schema
        .createTable('source_scan_tasks')
        .addColumn('job_id', 'text', (c) => c.notNull().references('source_scans.id').onDelete('cascade'))
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', caps.timestampType, (c) => c.notNull())
        .addColumn('lease_until', caps.timestampType)
        .addColumn('worker', 'text')
        .addColumn('updated_at', caps.timestampType, (c) => c.notNull())
        .addPrimaryKeyConstraint('source_scan_tasks_pkey', ['job_id', 'idx'])
        .execute()
      await db.schema
        .createIndex('source_scan_tasks_fair')
        .on('source_scan_tasks')
        .columns(['state', 'project', 'idx', 'job_id', 'next_attempt_at'])
        .execute()
      await db.schema
        .createIndex('source_scan_tasks_lease')
        .on('source_scan_tasks')
        .columns(['state', 'lease_until'])
        .execute()
      await db.schema
        .createIndex('source_scan_tasks_job_state')
        .on('source_scan_tasks')
        .columns(['job_id', 'state'])
        .execute()
      await db.schema
        .createTable('source_scan_results')
        .addColumn('scan_id', 'text', (c) => c.notNull().references('source_scans.id').onDelete('cascade'))
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('entry_id', 'text')
        .addPrimaryKeyConstraint('source_scan_results_pkey', ['scan_id', 'path'])
        .execute()
      await db.schema
        .createIndex('source_scan_results_outcome')
        .on('source_scan_results')
        .columns(['scan_id', 'outcome'])
        .execute()
    },
    async down() {
      throw new Error('0014-source-scans cannot be reverted')
    },
  }
}
