// The library the read benchmarks run over (bench:search, bench:ui-first-page): entries written by one
// set-based INSERT … SELECT straight into the schema (the FTS5 triggers and the generated tsvector column
// index them as any write does).
import { sql } from 'kysely'
import type { Deps } from '../src/deps.js'

export const PROJECT = 'bench'
export const BASE_MS = Date.parse('2025-01-01T00:00:00.000Z')

export const MEDIA_TYPES = [
  {
    handle: 'photo',
    type: 'mediaImage',
    metadata: [
      { handle: 'title', type: 'li-text', config: { index: true } },
      { handle: 'caption', type: 'li-text' },
    ],
  },
  {
    handle: 'clip',
    type: 'mediaVideo',
    metadata: [{ handle: 'title', type: 'li-text', config: { index: true } }],
  },
]

const USAGE_LOG = JSON.stringify([
  { id: 'u0000001', state: 'pending', params: {}, purpose: 'web', reportingDate: '2025-01-01T00:00:00.000Z' },
])

/**
 * Entry n: every 10th a clip, system `sys<n % 4>`, every 100th revoked, created n ms after BASE_MS.
 * Its title has `w<n % 100>` (1 % of entries share it) and `u<n>` (unique); the filename `photo-<n>.jpg`.
 * Every 1000th has a usage-log entry (`used`, 0.1 %).
 */
export async function fill(deps: Deps, size: number, options: { sharedKeys?: number } = {}): Promise<void> {
  const { db, caps } = deps.database
  // The asset key of entry n: its own, or one of `sharedKeys` stored originals (`k/<n % sharedKeys>.jpg`).
  const keyOf =
    options.sharedKeys === undefined
      ? sql.raw(`'k/' || n || '.jpg'`)
      : sql.raw(`'k/' || (n % ${Math.trunc(options.sharedKeys)}) || '.jpg'`)
  if (caps.name === 'sqlite') {
    await sql`
      INSERT INTO media_entries (project, id, version, media_type, system_name, external_id, asset, metadata,
        created_at, updated_at, revoked_at, search_text, usage_log, used)
      WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ${size})
      SELECT ${PROJECT}, 'e' || n, 1, CASE WHEN n % 10 = 0 THEN 'clip' ELSE 'photo' END, 'sys' || (n % 4), 'x' || n,
        json_object('key', ${keyOf}, 'url', 'https://cdn.example.com/k/' || n || '.jpg', 'size', 1000,
          'width', 800, 'height', 600, 'filename', 'photo-' || n || '.jpg', 'mimeType', 'image/jpeg'),
        json_object('title', 'Title w' || (n % 100) || ' u' || n, 'caption', 'not indexed'),
        strftime('%Y-%m-%dT%H:%M:%fZ', ${BASE_MS / 1000} + n / 1000.0, 'unixepoch'),
        strftime('%Y-%m-%dT%H:%M:%fZ', ${BASE_MS / 1000} + n / 1000.0, 'unixepoch'),
        CASE WHEN n % 100 = 0 THEN strftime('%Y-%m-%dT%H:%M:%fZ', ${BASE_MS / 1000} + n / 1000.0, 'unixepoch') END,
        'photo ' || n || ' jpg title w' || (n % 100) || ' u' || n,
        CASE WHEN n % 1000 = 0 THEN ${USAGE_LOG} ELSE '[]' END, CASE WHEN n % 1000 = 0 THEN 1 ELSE 0 END
      FROM c`.execute(db)
    // The import fills the full-text index per batch (migration 0006); this bulk fill does it once.
    await sql`INSERT INTO media_entries_fts(rowid, search_text) SELECT seq, search_text FROM media_entries`.execute(
      db,
    )
    await sql`ANALYZE`.execute(db)
    return
  }
  await sql`
    INSERT INTO media_entries (project, id, version, media_type, system_name, external_id, asset, metadata,
      created_at, updated_at, revoked_at, search_text, usage_log, used)
    SELECT ${PROJECT}, 'e' || n, 1, CASE WHEN n % 10 = 0 THEN 'clip' ELSE 'photo' END, 'sys' || (n % 4), 'x' || n,
      jsonb_build_object('key', ${keyOf}, 'url', 'https://cdn.example.com/k/' || n || '.jpg', 'size', 1000,
        'width', 800, 'height', 600, 'filename', 'photo-' || n || '.jpg', 'mimeType', 'image/jpeg'),
      jsonb_build_object('title', 'Title w' || (n % 100) || ' u' || n, 'caption', 'not indexed'),
      to_timestamp((${BASE_MS}::bigint + n) / 1000.0), to_timestamp((${BASE_MS}::bigint + n) / 1000.0),
      CASE WHEN n % 100 = 0 THEN to_timestamp((${BASE_MS}::bigint + n) / 1000.0) END,
      'photo ' || n || ' jpg title w' || (n % 100) || ' u' || n,
      CASE WHEN n % 1000 = 0 THEN ${USAGE_LOG}::jsonb ELSE '[]'::jsonb END, CASE WHEN n % 1000 = 0 THEN 1 ELSE 0 END
    FROM generate_series(1, ${size}) AS n`.execute(db)
  await sql`VACUUM ANALYZE media_entries`.execute(db)
}
