import type { ColumnType, Generated } from 'kysely'
import type {
  SourceTable,
  SourceObjectTable,
  SourceScanTable,
  SourceScanTaskTable,
  SourceScanResultTable,
  SourceMetadataTable,
} from './schema-sources.js'

/** Stored as jsonb on PostgreSQL and as text on SQLite; always written as a JSON string. */
type Json = ColumnType<unknown, string, string>
/** timestamptz on PostgreSQL (read as Date), ISO text on SQLite (read as string). */
export type Timestamp = ColumnType<Date | string, Date | string, Date | string>

export interface ProjectTable {
  handle: string
  media_types: Json
  created_at: Timestamp
  /** The project's usage purposes, a JSON array (migration 0007; `web` at first). */
  usage_purposes: ColumnType<unknown, string | undefined, string>
  /** `skip`, `allow` or `reject` (migration 0008): what an upload of bytes the project already has does. */
  duplicate_policy: ColumnType<string, string | undefined, string>
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
  /** SHA-256 (hex) of the asset's bytes, when the entry came from a URL import (migration 0003). */
  content_sha256: ColumnType<string | null, string | null | undefined, string | null>
  /** The usage-log entries, a JSON array (migration 0007). */
  usage_log: ColumnType<unknown, string | undefined, string>
  /** 1 while `usage_log` is not empty: the `used` search filter's index key. */
  used: ColumnType<number, number | undefined, number>
  stored_in_archive_at: ColumnType<
    Date | string | null,
    Date | string | null | undefined,
    Date | string | null
  >
  /** Set while the entry is in the trash. */
  deleted_at: ColumnType<Date | string | null, Date | string | null | undefined, Date | string | null>
}

export interface ImportJobTable {
  id: string
  project: string
  /** `images`, `videos` or `files`. */
  kind: string
  system_name: string
  webhook: string | null
  context: Json | null
  /** `started`, `success` or `failed`. */
  state: string
  item_count: number
  created_at: Timestamp
  finished_at: Timestamp | null
  /** null (no webhook or not yet due), `pending`, `delivered` or `failed`. */
  webhook_state: string | null
  webhook_attempts: ColumnType<number, number | undefined, number>
  webhook_next_at: Timestamp | null
  webhook_error: string | null
}

/**
 * The columns a fair, leased claim reads and writes (`db/import-item-claim.ts`): `import_items` and
 * `source_scan_tasks` share them.
 */
export interface ClaimColumns {
  job_id: string
  idx: number
  project: string
  state: string
  reason: string | null
  attempts: ColumnType<number, number | undefined, number>
  next_attempt_at: Timestamp
  lease_until: Timestamp | null
  worker: string | null
  updated_at: Timestamp
}

export interface ImportItemTable extends ClaimColumns {
  external_id: string
  url: string
  file_name: string | null
  media_type: string | null
  metadata: Json | null
  /** `queued`, `running`, `success`, `skipped` or `failed`. */
  state: string
  entry_id: string
  blob_key: string | null
  result: Json | null
  /** 1: no live entry had the externalId when the job was queued (migration 0018). */
  absent_at_queue: ColumnType<number, number | undefined, number>
}

export interface WebhookSecretTable {
  project: string
  secret: string
}

/** One row (`blobs`): whether blobs are still in the layout before project namespaces (migration 0005). */
export interface StorageLayoutTable {
  name: string
  state: 'legacy' | 'namespaced'
}

/** The outbox and the pull feed of entry events (migration 0008). */
export interface EntryEventTable {
  seq: Generated<number | string>
  project: string
  event: string
  media_id: string
  actor: Json
  changes: Json | null
  created_at: Timestamp
}

/** A project's entry webhook, with its delivery state (migration 0008). */
export interface EntryWebhookTable {
  id: string
  project: string
  handle: string
  /** null: a feed-only subscription (events are kept for the feed, nothing is POSTed). */
  url: string | null
  events: Json
  secret: string
  created_at: Timestamp
  cursor: ColumnType<number | string, number | undefined, number>
  attempts: ColumnType<number, number | undefined, number>
  next_attempt_at: Timestamp | null
  lease_until: Timestamp | null
  lease_owner: string | null
  last_error: string | null
}

/** One delivery's outcome (migration 0008). */
export interface EntryWebhookDeliveryTable {
  delivery_id: string
  webhook_id: string
  event_seq: number | string
  event: string
  media_id: string
  state: 'delivered' | 'failed'
  attempts: number
  last_error: string | null
  at: Timestamp
}

/** A cached image variant in a project's derived namespace (migration 0009). */
export interface ImageVariantTable {
  project: string
  key: string
  bytes: ColumnType<number | string, number, number>
  /** Epoch milliseconds (bigint on PostgreSQL, read as a string). */
  last_access: ColumnType<number | string, number, number>
}

/** A project's variant URL signing secret (migration 0009). */
export interface ImageSigningTable {
  project: string
  secret: string
  require_signature: ColumnType<number, number | undefined, number>
  /** JSON arrays; NULL: the server's allow-list (migration 0011). */
  allowed_sizes: ColumnType<string | null, string | null | undefined, string | null>
  allowed_formats: ColumnType<string | null, string | null | undefined, string | null>
}

export interface DatabaseSchema {
  projects: ProjectTable
  api_tokens: ApiTokenTable
  media_entries: MediaEntryTable
  import_jobs: ImportJobTable
  import_items: ImportItemTable
  webhook_secrets: WebhookSecretTable
  storage_layout: StorageLayoutTable
  entry_events: EntryEventTable
  entry_webhooks: EntryWebhookTable
  entry_webhook_deliveries: EntryWebhookDeliveryTable
  image_variants: ImageVariantTable
  image_signing: ImageSigningTable
  tus_uploads: TusUploadTable
  sources: SourceTable
  source_objects: SourceObjectTable
  source_scans: SourceScanTable
  source_scan_tasks: SourceScanTaskTable
  source_scan_results: SourceScanResultTable
  source_metadata: SourceMetadataTable
}

/** A resumable upload in flight (migration 0010). */
export interface TusUploadTable {
  id: string
  project: string
  length: ColumnType<number | string, number, number>
  expires_at: Timestamp
}
