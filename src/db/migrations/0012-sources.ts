import { sql, type Kysely, type Migration } from 'kysely'
import type { DialectCaps } from '../dialect.js'

/**
 * Sources (issue #22): read-only places (a disk folder, an S3 bucket and prefix) whose files become entries
 * where they lie, and what the last scan saw of each object (`source_objects`), so that a rescan skips
 * unchanged objects without reading them.
 */
export function sourcesMigration(caps: DialectCaps): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const time = caps.name === 'sqlite' ? sql`text` : sql`timestamptz`
      await sql`CREATE TABLE sources (
        project text NOT NULL REFERENCES projects(handle),
        handle text NOT NULL,
        kind text NOT NULL,
        root text NOT NULL,
        options text NOT NULL,
        created_at ${time} NOT NULL,
        PRIMARY KEY (project, handle)
      )`.execute(db)
      await sql`CREATE TABLE source_objects (
        project text NOT NULL,
        source text NOT NULL,
        path text NOT NULL,
        size bigint NOT NULL,
        version text NOT NULL,
        sha256 text,
        entry_id text,
        state text NOT NULL,
        seen_at ${time} NOT NULL,
        PRIMARY KEY (project, source, path),
        FOREIGN KEY (project, source) REFERENCES sources(project, handle) ON DELETE CASCADE
      )`.execute(db)
    },
    async down() {
      throw new Error('0012-sources cannot be reverted')
    },
  }
}
