// The tables of read-only sources and their scans (issue #22), split from schema.ts.
import type { ColumnType } from 'kysely'
import type { ClaimColumns, Timestamp } from './schema.js'

/** A read-only source of a project (migration 0012, issue #22). */
export interface SourceTable {
  project: string
  handle: string
  kind: 'disk' | 's3'
  /** The folder (disk) or the bucket (S3). */
  root: string
  /** JSON: the S3 prefix and connection options; `{}` for disk. */
  options: string
  /** Migration 0015: the last scan number given out (`source_scans.seq`). */
  scan_seq: ColumnType<number, number | undefined, number>
  created_at: Timestamp
  /** Migration 0016: the schedule's interval, or null (no schedule). */
  rescan_every_ms: ColumnType<number | string | null, number | null | undefined, number | null>
  /** Migration 0016: when the scheduled scan is due; moved by compare-and-set when a worker starts it. */
  next_scan_at: ColumnType<Date | string | null, Date | string | null | undefined, Date | string | null>
}

/** What the last scan saw of one object of a source (migration 0012). */
export interface SourceObjectTable {
  project: string
  source: string
  path: string
  size: ColumnType<number | string, number, number>
  /** mtime in ms (disk) or the ETag (S3): unchanged size and version mean unchanged bytes. */
  version: string
  sha256: string | null
  entry_id: string | null
  state: 'present' | 'missing'
  seen_at: Timestamp
  /** Migration 0015: the `seq` of the latest scan of the source that saw the object. */
  seen_seq: ColumnType<number, number | undefined, number>
}

/** One scan of a source (migration 0014). */
export interface SourceScanTable {
  id: string
  project: string
  source: string
  /** JSON: `{dryRun, retryFailed, pageSize, batchSize}`. */
  options: string
  /** `running`, `done` or `failed`. */
  state: string
  error: string | null
  created_at: Timestamp
  finished_at: Timestamp | null
  /** Migration 0015: the scan's number within its source (1, 2, …). */
  seq: ColumnType<number, number | undefined, number>
  /** Migration 0015: JSON of the counts, frozen when the scan ends; null while it runs. */
  counts: ColumnType<string | null, string | null | undefined, string | null>
}

/** The work queue of scans (migration 0014): the claim columns are `import_items`'s; `job_id` is the scan's id. */
export interface SourceScanTaskTable extends ClaimColumns {
  /** `list` or `batch`. */
  kind: string
  /** JSON: `{after}` for a list task, the objects for a batch task. */
  payload: string
  /** `queued`, `running`, `done` or `failed`. */
  state: string
  /** Migration 0015: the unchanged objects a list task settled (counted, without a result row each). */
  unchanged: ColumnType<number, number | undefined, number>
}

/** What a scan did to one object (migration 0014). */
export interface SourceScanResultTable {
  scan_id: string
  path: string
  /** `created`, `updated`, `unchanged`, `missing` or `failed`. */
  outcome: string
  reason: string | null
  entry_id: string | null
}

/** The rows of a scan's metadata file, by path (migration 0016). */
export interface SourceMetadataTable {
  scan_id: string
  path: string
  /** JSON: metadata properties, as the file's mapping gave them. */
  metadata: string
}
