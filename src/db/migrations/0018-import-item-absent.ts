import { sql, type Kysely, type Migration } from 'kysely'

/**
 * `import_items.absent_at_queue`: 1 when no live entry had the item's externalId (in its job's system) as the
 * job was queued. The first attempt of such an item skips the per-item lookup of an existing entry, a
 * statement per item (docs/url-import.md, "An item known to be new"). 0 for the items of jobs queued before.
 */
export function importItemAbsentMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`ALTER TABLE import_items ADD COLUMN absent_at_queue integer NOT NULL DEFAULT 0`.execute(db)
    },
    async down(db: Kysely<unknown>) {
      await sql`ALTER TABLE import_items DROP COLUMN absent_at_queue`.execute(db)
    },
  }
}
