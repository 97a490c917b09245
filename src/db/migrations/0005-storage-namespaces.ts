import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Per-project storage namespaces and fair queues:
 * - `storage_layout`: one row, `legacy` when this database already held entries or URL-import items
 *   (their blobs sit in the layout before namespaces, one flat key space), `namespaced` otherwise.
 *   The server moves legacy blobs into each project's namespace at start and then sets `namespaced`
 *   (src/storage/namespace-upgrade.ts).
 * - `import_items_fair`: claims go round-robin across projects, then across jobs by item index; this
 *   index answers "the projects with queued items" (a skip scan) and "a project's next items" (a seek).
 */
export function storageNamespacesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('storage_layout')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .execute()
      const used = await sql<{ n: number }>`
        select (select count(*) from (select 1 from media_entries limit 1) e)
             + (select count(*) from (select 1 from import_items limit 1) i) as n`.execute(db)
      const legacy = Number(used.rows[0]?.n ?? 0) > 0
      await sql`insert into storage_layout (name, state) values ('blobs', ${legacy ? 'legacy' : 'namespaced'})`.execute(
        db,
      )
      await db.schema
        .createIndex('import_items_fair')
        .on('import_items')
        .columns(['state', 'project', 'idx', 'job_id', 'next_attempt_at'])
        .execute()
    },
    async down() {
      throw new Error('0005-storage-namespaces cannot be reverted')
    },
  }
}
