import { sql, type Kysely, type Migration } from 'kysely'
import type { DialectCaps } from '../dialect.js'

/**
 * Source features (issue #22):
 * - `source_metadata`: the rows of a metadata file given to a scan (`sources scan --metadata FILE`), keyed by
 *   `(scan, path)`, so that the workers (other processes) that run the scan's batches can read them; they go
 *   with their scan;
 * - `sources.rescan_every_ms` and `sources.next_scan_at`: a source's schedule; a worker's idle sweep starts
 *   the scan of a due source after moving `next_scan_at` with a compare-and-set, so two workers never start
 *   the same scheduled scan twice.
 */
export function sourceFeaturesMigration(caps: DialectCaps): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('source_metadata')
        .addColumn('scan_id', 'text', (c) => c.notNull().references('source_scans.id').onDelete('cascade'))
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('source_metadata_pkey', ['scan_id', 'path'])
        .execute()
      await sql`ALTER TABLE sources ADD COLUMN rescan_every_ms bigint`.execute(db)
      await sql`ALTER TABLE sources ADD COLUMN next_scan_at ${sql.raw(caps.timestampType)}`.execute(db)
      await db.schema.createIndex('sources_next_scan').on('sources').column('next_scan_at').execute()
    },
    async down() {
      throw new Error('0016-source-features cannot be reverted')
    },
  }
}
