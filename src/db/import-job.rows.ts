import type { Selectable } from 'kysely'
import type { DialectCaps } from './dialect.js'
import type {
  ImportItem,
  ImportJob,
  ImportKind,
  ItemState,
  JobState,
  WebhookState,
} from '../jobs/import-job.js'
import type { ImportJobTable } from './schema.js'

/** A JSON column's value: null for a missing value. */
export const jsonOrNull = (v: unknown): string | null =>
  v === undefined || v === null ? null : JSON.stringify(v)

/** An `import_jobs` row as the domain's ImportJob (absent optional fields left out, not undefined). */
export function jobFromRow(caps: DialectCaps, r: Selectable<ImportJobTable>): ImportJob {
  const job: ImportJob = {
    id: r.id,
    project: r.project,
    kind: r.kind as ImportKind,
    systemName: r.system_name,
    state: r.state as JobState,
    itemCount: Number(r.item_count),
    createdAt: caps.fromTime(r.created_at),
    webhookAttempts: Number(r.webhook_attempts),
  }
  if (r.webhook !== null) job.webhook = r.webhook
  if (r.context !== null) job.context = caps.fromJson(r.context) as Record<string, unknown>
  if (r.finished_at !== null) job.finishedAt = caps.fromTime(r.finished_at)
  if (r.webhook_state !== null) job.webhookState = r.webhook_state as WebhookState
  if (r.webhook_error !== null) job.webhookError = r.webhook_error
  return job
}

/** An `import_items` row as the domain's ImportItem. */
export function itemFromRow(caps: DialectCaps, r: Record<string, unknown>): ImportItem {
  const item: ImportItem = {
    jobId: r.job_id as string,
    idx: Number(r.idx),
    project: r.project as string,
    externalId: r.external_id as string,
    url: r.url as string,
    entryId: r.entry_id as string,
    state: r.state as ItemState,
    attempts: Number(r.attempts),
  }
  if (r.file_name !== null) item.fileName = r.file_name as string
  if (r.media_type !== null) item.mediaType = r.media_type as string
  if (r.metadata !== null) item.metadata = caps.fromJson(r.metadata) as Record<string, unknown>
  if (r.reason !== null) item.reason = r.reason as string
  if (r.blob_key !== null) item.blobKey = r.blob_key as string
  if (r.result !== null) item.result = caps.fromJson(r.result) as Record<string, unknown>
  if (Number(r.absent_at_queue) === 1) item.absentAtQueue = true
  return item
}
