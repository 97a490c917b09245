import { sql, type Kysely, type Migration } from 'kysely'
import type { DialectCaps } from '../dialect.js'

/** The purpose every project starts with (issue #16). */
export const DEFAULT_USAGE_PURPOSES_JSON = '[{"handle":"web","label":"Web"}]'

/**
 * The entry lifecycle (issue #16):
 * - `usage_log`: the entry's usage-log entries, a JSON array written with the entry (one versioned write);
 *   `used` is 1 while it is not empty, and `media_entries_used_seq` (project, used, seq) serves the
 *   `used=true|false` search filter in insertion order;
 * - `stored_in_archive_at`: set while the entry is protected from deletion;
 * - `deleted_at`: set while the entry is in the trash (hidden from reads, id and externalId still taken);
 *   `media_entries_trash` finds the entries whose trash time ran out, for the worker's purge;
 * - `projects.usage_purposes`: the project's usage purposes, `web` at first.
 */
export function entryLifecycleMigration(caps: DialectCaps): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const time = caps.name === 'sqlite' ? sql`text` : sql`timestamptz`
      const json = caps.name === 'sqlite' ? sql`text` : sql`jsonb`
      const emptyList = caps.name === 'sqlite' ? sql`'[]'` : sql`'[]'::jsonb`
      const purposes =
        caps.name === 'sqlite'
          ? sql.raw(`'${DEFAULT_USAGE_PURPOSES_JSON}'`)
          : sql.raw(`'${DEFAULT_USAGE_PURPOSES_JSON}'::jsonb`)
      for (const column of [
        sql`usage_log ${json} NOT NULL DEFAULT ${emptyList}`,
        sql`used integer NOT NULL DEFAULT 0`,
        sql`stored_in_archive_at ${time}`,
        sql`deleted_at ${time}`,
      ]) {
        await sql`ALTER TABLE media_entries ADD COLUMN ${column}`.execute(db)
      }
      await sql`ALTER TABLE projects ADD COLUMN usage_purposes ${json} NOT NULL DEFAULT ${purposes}`.execute(
        db,
      )
      await db.schema
        .createIndex('media_entries_used_seq')
        .on('media_entries')
        .columns(['project', 'used', 'seq'])
        .execute()
      await db.schema
        .createIndex('media_entries_trash')
        .on('media_entries')
        .columns(['deleted_at'])
        .where(sql.ref('deleted_at'), 'is not', null)
        .execute()
    },
    async down() {
      throw new Error('0007-entry-lifecycle cannot be reverted')
    },
  }
}
