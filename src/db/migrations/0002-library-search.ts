import { sql, type Kysely, type Migration } from 'kysely'
import type { DialectCaps } from '../dialect.js'

/**
 * State, search and paging for the media library:
 * - `seq`: an insertion sequence, immutable and unique, the key of keyset paging and of the full-text index.
 *   On SQLite it is the rowid (`INTEGER PRIMARY KEY`), so VACUUM cannot renumber it under the FTS index.
 * - `revoked_at`, `revoke_note`, `archived_at`: the entry's state.
 * - `former_keys`: storage keys the entry no longer uses (replaced and removed assets), for the keys endpoint.
 * - `search_text`: the text the service derives from the indexed metadata properties and the filename.
 *   SQLite keeps an FTS5 index over it by triggers; PostgreSQL a generated tsvector column with a GIN index.
 */
export function librarySearchMigration(caps: DialectCaps): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (caps.name === 'sqlite') await upSqlite(db)
      else await upPostgres(db)
      const index = (name: string, columns: string[]) =>
        db.schema.createIndex(name).on('media_entries').columns(columns).execute()
      await index('media_entries_seq', ['project', 'seq'])
      await index('media_entries_type_seq', ['project', 'media_type', 'seq'])
      await index('media_entries_system_seq', ['project', 'system_name', 'seq'])
      await index('media_entries_created', ['project', 'created_at', 'seq'])
      await index('media_entries_updated', ['project', 'updated_at', 'seq'])
      await db.schema
        .createIndex('media_entries_revoked_seq')
        .on('media_entries')
        .columns(['project', 'seq'])
        .where(sql.ref('revoked_at'), 'is not', null)
        .execute()
      await db.schema
        .createIndex('media_entries_archived_seq')
        .on('media_entries')
        .columns(['project', 'seq'])
        .where(sql.ref('archived_at'), 'is not', null)
        .execute()
    },
    async down() {
      throw new Error('0002-library-search cannot be reverted')
    },
  }
}

async function upSqlite(db: Kysely<unknown>): Promise<void> {
  // SQLite cannot add an INTEGER PRIMARY KEY to a table: rebuild it, keeping every row and its order.
  await sql`
    CREATE TABLE media_entries_next (
      seq INTEGER PRIMARY KEY,
      project TEXT NOT NULL REFERENCES projects(handle),
      id TEXT NOT NULL,
      version INTEGER NOT NULL,
      media_type TEXT NOT NULL,
      system_name TEXT,
      external_id TEXT,
      asset TEXT NOT NULL,
      metadata TEXT NOT NULL,
      translations TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      revoked_at TEXT,
      revoke_note TEXT,
      archived_at TEXT,
      former_keys TEXT NOT NULL DEFAULT '[]',
      search_text TEXT NOT NULL DEFAULT ''
    )`.execute(db)
  await sql`
    INSERT INTO media_entries_next
      (project, id, version, media_type, system_name, external_id, asset, metadata, translations,
       created_at, updated_at, search_text)
    SELECT project, id, version, media_type, system_name, external_id, asset, metadata, translations,
       created_at, updated_at, coalesce(json_extract(asset, '$.filename'), '')
    FROM media_entries ORDER BY created_at, id`.execute(db)
  await sql`DROP TABLE media_entries`.execute(db)
  await sql`ALTER TABLE media_entries_next RENAME TO media_entries`.execute(db)
  await sql`CREATE UNIQUE INDEX media_entries_pkey ON media_entries (project, id)`.execute(db)
  await sql`
    CREATE UNIQUE INDEX media_entries_external_id_unique ON media_entries (project, system_name, external_id)
    WHERE external_id IS NOT NULL`.execute(db)

  await sql`
    CREATE VIRTUAL TABLE media_entries_fts USING fts5(
      search_text, content='media_entries', content_rowid='seq', tokenize='unicode61 remove_diacritics 2'
    )`.execute(db)
  await sql`INSERT INTO media_entries_fts(media_entries_fts) VALUES ('rebuild')`.execute(db)
  await sql`
    CREATE TRIGGER media_entries_fts_insert AFTER INSERT ON media_entries BEGIN
      INSERT INTO media_entries_fts(rowid, search_text) VALUES (new.seq, new.search_text);
    END`.execute(db)
  await sql`
    CREATE TRIGGER media_entries_fts_delete AFTER DELETE ON media_entries BEGIN
      INSERT INTO media_entries_fts(media_entries_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
    END`.execute(db)
  await sql`
    CREATE TRIGGER media_entries_fts_update AFTER UPDATE OF search_text ON media_entries BEGIN
      INSERT INTO media_entries_fts(media_entries_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
      INSERT INTO media_entries_fts(rowid, search_text) VALUES (new.seq, new.search_text);
    END`.execute(db)
}

async function upPostgres(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE media_entries ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY`.execute(db)
  await sql`
    ALTER TABLE media_entries
      ADD COLUMN revoked_at timestamptz,
      ADD COLUMN revoke_note text,
      ADD COLUMN archived_at timestamptz,
      ADD COLUMN former_keys jsonb NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN search_text text NOT NULL DEFAULT ''`.execute(db)
  await sql`UPDATE media_entries SET search_text = coalesce(asset->>'filename', '')`.execute(db)
  // 'simple': no stemming and no stop words, the same matching as SQLite's unicode61 tokenizer.
  await sql`
    ALTER TABLE media_entries ADD COLUMN search_vector tsvector
      GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED`.execute(db)
  await sql`CREATE INDEX media_entries_search ON media_entries USING gin (search_vector)`.execute(db)
  await sql`CREATE UNIQUE INDEX media_entries_seq_unique ON media_entries (seq)`.execute(db)
}
