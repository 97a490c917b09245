import type { ColumnType, Generated } from 'kysely'

/** Stored as jsonb on PostgreSQL and as text on SQLite; always written as a JSON string. */
type Json = ColumnType<unknown, string, string>
/** timestamptz on PostgreSQL (read as Date), ISO text on SQLite (read as string). */
type Timestamp = ColumnType<Date | string, Date | string, Date | string>

export interface ProjectTable {
  handle: string
  media_types: Json
  created_at: Timestamp
}

export interface ApiTokenTable {
  id: string
  project: string
  name: string
  /** Space-separated scopes, e.g. `public-api:read public-api:write`. */
  scopes: string
  /** SHA-256 of the token's secret part, hex. The secret itself is never stored. */
  secret_hash: string
  created_at: Timestamp
  revoked_at: Timestamp | null
}

export interface MediaEntryTable {
  /** Insertion sequence (SQLite rowid, PostgreSQL identity): the paging and full-text key. Never written. */
  seq: Generated<number>
  project: string
  id: string
  version: number
  media_type: string
  system_name: string | null
  external_id: string | null
  asset: Json
  metadata: Json
  translations: Json | null
  created_at: Timestamp
  updated_at: Timestamp
  revoked_at: Timestamp | null
  revoke_note: string | null
  archived_at: Timestamp | null
  /** Storage keys the entry used before (replaced or removed assets), a JSON array. */
  former_keys: ColumnType<unknown, string | undefined, string>
  /** The indexed metadata texts and the filename, derived by the service; the full-text index covers it. */
  search_text: string
}

export interface DatabaseSchema {
  projects: ProjectTable
  api_tokens: ApiTokenTable
  media_entries: MediaEntryTable
}
