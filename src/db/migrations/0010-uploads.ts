import { sql, type Kysely, type Migration } from 'kysely'
import type { DialectCaps } from '../dialect.js'

/**
 * Uploads (issue #18):
 * - `projects.duplicate_policy`: what an upload of bytes the project already holds does (`skip`, `allow`,
 *   `reject`);
 * - `media_entries_sha`: (project, content_sha256), so that the duplicate check and the CLI's bulk
 *   "which hashes do you have" question are index lookups;
 * - `tus_uploads`: the resumable uploads in flight (id, project, declared length, expiry), for the
 *   per-project quota of bytes in flight and the worker's cleanup of expired uploads.
 */
export function uploadsMigration(caps: DialectCaps): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const time = caps.name === 'sqlite' ? sql`text` : sql`timestamptz`
      await sql`CREATE TABLE tus_uploads (
        id text PRIMARY KEY,
        project text NOT NULL REFERENCES projects(handle),
        length bigint NOT NULL,
        expires_at ${time} NOT NULL
      )`.execute(db)
      await db.schema.createIndex('tus_uploads_project').on('tus_uploads').columns(['project']).execute()
      await db.schema.createIndex('tus_uploads_expiry').on('tus_uploads').columns(['expires_at']).execute()
      await sql`ALTER TABLE projects ADD COLUMN duplicate_policy text NOT NULL DEFAULT 'skip'`.execute(db)
      await db.schema
        .createIndex('media_entries_sha')
        .on('media_entries')
        .columns(['project', 'content_sha256'])
        .where(sql.ref('content_sha256'), 'is not', null)
        .execute()
    },
    async down() {
      throw new Error('0010-uploads cannot be reverted')
    },
  }
}
