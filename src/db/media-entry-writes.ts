import { sql } from 'kysely'
import type { MediaEntry } from '../media/entry.js'
import type { Db } from './database.js'
import type { DialectCaps } from './dialect.js'

/**
 * The version-guarded writes of an entry (one PATCH, or each of a batch on SQLite), and PostgreSQL's batch
 * form of them. Callers run them inside their own transaction.
 */

/**
 * PostgreSQL: the version-guarded writes of a batch PATCH in two statements, the rows locked in id order
 * first, then one `UPDATE … FROM unnest(…)` (one array per column). Returns how many rows it wrote.
 */
export const unnestUpdate = async (
  target: Db,
  project: string,
  rows: readonly { entry: MediaEntry; expectedVersion: number }[],
) => {
  const ids = rows.map((r) => r.entry.id)
  await sql`SELECT 1 FROM media_entries WHERE project = ${project} AND id = ANY(${ids}::text[])
    ORDER BY id FOR UPDATE`.execute(target)
  const column = <T>(f: (r: { entry: MediaEntry; expectedVersion: number }) => T) => rows.map(f)
  const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value))
  const result = await sql`
    UPDATE media_entries m SET version = u.version, asset = u.asset, metadata = u.metadata,
      translations = u.translations, updated_at = u.updated_at, revoked_at = u.revoked_at,
      revoke_note = u.revoke_note, archived_at = u.archived_at, former_keys = u.former_keys,
      search_text = u.search_text
    FROM unnest(${ids}::text[], ${column((r) => r.expectedVersion)}::int[],
      ${column((r) => r.entry.version)}::int[], ${column((r) => json(r.entry.asset))}::jsonb[],
      ${column((r) => json(r.entry.metadata))}::jsonb[], ${column((r) => json(r.entry.translations))}::jsonb[],
      ${column((r) => r.entry.updatedAt)}::timestamptz[], ${column((r) => r.entry.revokedAt ?? null)}::timestamptz[],
      ${column((r) => r.entry.revokeNote ?? null)}::text[], ${column((r) => r.entry.archivedAt ?? null)}::timestamptz[],
      ${column((r) => json(r.entry.formerKeys ?? []))}::jsonb[], ${column((r) => r.entry.searchText ?? '')}::text[])
    AS u(id, expected, version, asset, metadata, translations, updated_at, revoked_at, revoke_note, archived_at,
      former_keys, search_text)
    WHERE m.project = ${project} AND m.id = u.id AND m.version = u.expected`.execute(target)
  return Number(result.numAffectedRows ?? 0)
}

export const writeIfVersion = async (
  caps: DialectCaps,
  target: Db,
  project: string,
  entry: MediaEntry,
  expectedVersion: number,
) => {
  const timeOrNull = (iso: string | undefined) => (iso === undefined ? null : caps.toTime(new Date(iso)))
  const result = await target
    .updateTable('media_entries')
    .set({
      version: entry.version,
      asset: JSON.stringify(entry.asset),
      metadata: JSON.stringify(entry.metadata),
      translations: entry.translations === undefined ? null : JSON.stringify(entry.translations),
      updated_at: caps.toTime(new Date(entry.updatedAt)),
      revoked_at: timeOrNull(entry.revokedAt),
      revoke_note: entry.revokeNote ?? null,
      archived_at: timeOrNull(entry.archivedAt),
      former_keys: JSON.stringify(entry.formerKeys ?? []),
      search_text: entry.searchText ?? '',
      usage_log: JSON.stringify(entry.usageLog ?? []),
      used: (entry.usageLog ?? []).length > 0 ? 1 : 0,
      stored_in_archive_at: timeOrNull(entry.storedInArchiveAt),
      deleted_at: timeOrNull(entry.deletedAt),
    })
    .where('project', '=', project)
    .where('id', '=', entry.id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}
