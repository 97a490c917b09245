import type { MediaEntry } from '../media/entry.js'
import type { UsageLogEntry } from '../media/usage-log.js'
import type { DialectCaps } from './dialect.js'

/** The columns an import writes and a read returns alike, in the insert's order. */
const CONTENT_COLUMNS = [
  'id',
  'version',
  'media_type',
  'system_name',
  'external_id',
  'asset',
  'metadata',
  'translations',
  'created_at',
  'updated_at',
] as const

/** The columns a read returns (never the search text or PostgreSQL's tsvector). */
export const READ_COLUMNS = [
  'seq',
  ...CONTENT_COLUMNS,
  'revoked_at',
  'revoke_note',
  'archived_at',
  'former_keys',
  'usage_log',
  'stored_in_archive_at',
  'deleted_at',
] as const

export interface Row {
  seq: unknown
  id: string
  version: unknown
  media_type: string
  system_name: string | null
  external_id: string | null
  asset: unknown
  metadata: unknown
  translations: unknown
  created_at: unknown
  updated_at: unknown
  revoked_at: unknown
  revoke_note: string | null
  archived_at: unknown
  former_keys: unknown
  usage_log: unknown
  stored_in_archive_at: unknown
  deleted_at: unknown
}

/**
 * The 12 columns a client's import fills per entry, in the order of its multi-row insert (`toRow` in
 * media-entry-insert.ts, which binds `content_sha256` too: null unless a URL import or an upload knows the
 * bytes' hash); the import benchmark's ceiling writes these (bench/import-entries.ts).
 */
export const INSERT_COLUMNS = ['project', ...CONTENT_COLUMNS, 'search_text'] as const

/** A `media_entries` row as the domain's MediaEntry (absent optional fields left out). */
export function entryFromRow(caps: DialectCaps, row: Row): MediaEntry {
  const entry: MediaEntry = {
    id: row.id,
    version: Number(row.version),
    mediaType: row.media_type,
    asset: caps.fromJson(row.asset) as MediaEntry['asset'],
    metadata: caps.fromJson(row.metadata) as MediaEntry['metadata'],
    createdAt: caps.fromTime(row.created_at),
    updatedAt: caps.fromTime(row.updated_at),
  }
  if (row.system_name !== null) entry.systemName = row.system_name
  if (row.external_id !== null) entry.externalId = row.external_id
  if (row.translations !== null)
    entry.translations = caps.fromJson(row.translations) as MediaEntry['translations']
  if (row.revoked_at !== null) entry.revokedAt = caps.fromTime(row.revoked_at)
  if (row.revoke_note !== null) entry.revokeNote = row.revoke_note
  if (row.archived_at !== null) entry.archivedAt = caps.fromTime(row.archived_at)
  if (row.stored_in_archive_at !== null) entry.storedInArchiveAt = caps.fromTime(row.stored_in_archive_at)
  if (row.deleted_at !== null) entry.deletedAt = caps.fromTime(row.deleted_at)
  const usageLog = caps.fromJson(row.usage_log) as UsageLogEntry[]
  if (usageLog.length > 0) entry.usageLog = usageLog
  const formerKeys = caps.fromJson(row.former_keys) as string[]
  if (formerKeys.length > 0) entry.formerKeys = formerKeys
  return entry
}
