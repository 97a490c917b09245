import { sql, type Kysely, type Migration } from 'kysely'
import type { DialectCaps } from '../dialect.js'

/**
 * SQLite: the full-text index is filled once per import batch, not by a trigger per row. The import
 * fills it with one `INSERT INTO media_entries_fts … SELECT … WHERE seq >= ?` inside the batch's own
 * transaction (src/db/media-entry.repository.ts), so a committed entry is searchable at once, as before.
 * The update and delete triggers stay: a PATCH changes one row, and the trigger keeps index and table
 * in step wherever the change comes from. PostgreSQL's generated tsvector and GIN index are unchanged.
 */
export function ftsPerBatchMigration(caps: DialectCaps): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (caps.name !== 'sqlite') return
      await sql`DROP TRIGGER IF EXISTS media_entries_fts_insert`.execute(db)
    },
    async down() {
      throw new Error('0006-fts-per-batch cannot be reverted')
    },
  }
}
