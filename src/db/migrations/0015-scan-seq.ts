import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Source scans at scale (issue #22):
 * - `sources.scan_seq`: the last scan number given out for the source (a row lock orders two scans started at
 *   once); `source_scans.seq`: the scan's number within its source;
 * - `source_objects.seen_seq`: the number of the latest scan that saw the object. A list task marks the
 *   unchanged objects of its page seen with one UPDATE instead of writing a result row for each; the objects
 *   still present with a smaller `seen_seq` when the scan ends are the vanished ones;
 * - `source_scan_tasks.unchanged`: how many unchanged objects a list task settled (counted, not one row each);
 * - `source_scans.counts`: the scan's counts (JSON), frozen when it ends (older scans' per-object results
 *   are pruned).
 * Existing scans are numbered by creation time.
 */
export function scanSeqMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`ALTER TABLE sources ADD COLUMN scan_seq integer NOT NULL DEFAULT 0`.execute(db)
      await sql`ALTER TABLE source_scans ADD COLUMN seq integer NOT NULL DEFAULT 0`.execute(db)
      await sql`ALTER TABLE source_scans ADD COLUMN counts text`.execute(db)
      await sql`ALTER TABLE source_scan_tasks ADD COLUMN unchanged integer NOT NULL DEFAULT 0`.execute(db)
      await sql`ALTER TABLE source_objects ADD COLUMN seen_seq integer NOT NULL DEFAULT 0`.execute(db)
      await sql`
        UPDATE source_scans SET seq = (
          SELECT count(*) FROM source_scans s2
          WHERE s2.project = source_scans.project AND s2.source = source_scans.source
            AND (s2.created_at < source_scans.created_at
              OR (s2.created_at = source_scans.created_at AND s2.id <= source_scans.id))
        )`.execute(db)
      await sql`
        UPDATE sources SET scan_seq = (
          SELECT coalesce(max(s.seq), 0) FROM source_scans s
          WHERE s.project = sources.project AND s.source = sources.handle
        )`.execute(db)
      await db.schema
        .createIndex('source_scans_by_seq')
        .on('source_scans')
        .columns(['project', 'source', 'seq'])
        .execute()
    },
    async down() {
      throw new Error('0015-scan-seq cannot be reverted')
    },
  }
}
