import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Per-project allow-lists of image variants (issue #17): the sizes and formats a project's variants may
 * have without a signature, as JSON arrays; NULL keeps the server's (`variants.allowedSizes`/`-Formats`).
 */
export function variantAllowListsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`ALTER TABLE image_signing ADD COLUMN allowed_sizes text`.execute(db)
      await sql`ALTER TABLE image_signing ADD COLUMN allowed_formats text`.execute(db)
    },
  }
}
