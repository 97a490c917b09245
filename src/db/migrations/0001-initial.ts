import type { Kysely, Migration } from 'kysely'
import type { DialectCaps } from '../dialect.js'

export function initialMigration(caps: DialectCaps): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('projects')
        .addColumn('handle', 'text', (c) => c.primaryKey())
        .addColumn('media_types', caps.jsonType, (c) => c.notNull())
        .addColumn('created_at', caps.timestampType, (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project', 'text', (c) => c.notNull().references('projects.handle'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', caps.timestampType, (c) => c.notNull())
        .addColumn('revoked_at', caps.timestampType)
        .execute()

      await db.schema
        .createTable('media_entries')
        .addColumn('project', 'text', (c) => c.notNull().references('projects.handle'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('media_type', 'text', (c) => c.notNull())
        .addColumn('system_name', 'text')
        .addColumn('external_id', 'text')
        .addColumn('asset', caps.jsonType, (c) => c.notNull())
        .addColumn('metadata', caps.jsonType, (c) => c.notNull())
        .addColumn('translations', caps.jsonType)
        .addColumn('created_at', caps.timestampType, (c) => c.notNull())
        .addColumn('updated_at', caps.timestampType, (c) => c.notNull())
        .addPrimaryKeyConstraint('media_entries_pkey', ['project', 'id'])
        .execute()

      // The database, not the code, guarantees one entry per (project, systemName, externalId).
      await db.schema
        .createIndex('media_entries_external_id_unique')
        .on('media_entries')
        .columns(['project', 'system_name', 'external_id'])
        .unique()
        .where('external_id', 'is not', null)
        .execute()
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('media_entries').execute()
      await db.schema.dropTable('api_tokens').execute()
      await db.schema.dropTable('projects').execute()
    },
  }
}
