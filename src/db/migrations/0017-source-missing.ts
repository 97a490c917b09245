import { sql, type Kysely, type Migration } from 'kysely'

/**
 * The search filter `sourceState=missing` (issue #22): the entries whose source object vanished. A partial
 * index of the missing objects by project and entry, so the filter reads only those (`source_objects`
 * holds one row per object of every source, nearly all `present`).
 */
export function sourceMissingMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`CREATE INDEX source_objects_missing ON source_objects (project, entry_id)
        WHERE state = 'missing'`.execute(db)
    },
    async down(db: Kysely<unknown>) {
      await sql`DROP INDEX source_objects_missing`.execute(db)
    },
  }
}
