import { type Kysely, type Migration } from 'kysely'
import type { DialectCaps } from '../dialect.js'

/**
 * Image variants (issue #17):
 * - `image_variants`: one row per cached variant in a project's derived namespace, with its size and last
 *   access (epoch milliseconds), so that the cache is bounded in total size with least-recently-used
 *   eviction shared by every server process;
 * - `image_signing`: the per-project secret that signs variant URLs (`s=`), and whether the project
 *   requires a signature even for variants inside the allow-list.
 */
export function imageVariantsMigration(caps: DialectCaps): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const big = caps.name === 'sqlite' ? 'integer' : 'bigint'
      await db.schema
        .createTable('image_variants')
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('bytes', big, (c) => c.notNull())
        .addColumn('last_access', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('image_variants_pk', ['project', 'key'])
        .execute()
      await db.schema
        .createIndex('image_variants_last_access')
        .on('image_variants')
        .column('last_access')
        .execute()
      await db.schema
        .createTable('image_signing')
        .addColumn('project', 'text', (c) => c.primaryKey().references('projects.handle'))
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('require_signature', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
    },
    async down() {
      throw new Error('0009-image-variants cannot be reverted')
    },
  }
}
