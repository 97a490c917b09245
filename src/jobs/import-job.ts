/** The URL-import job domain: jobs, their items and how an attempt at an item ends. */

export type ImportKind = 'images' | 'videos' | 'files'
export type ItemState = 'queued' | 'running' | 'success' | 'skipped' | 'failed'
export type JobState = 'started' | 'success' | 'failed'
export type WebhookState = 'pending' | 'delivered' | 'failed'

export interface ImportJob {
  id: string
  project: string
  kind: ImportKind
  systemName: string
  webhook?: string
  context?: Record<string, unknown>
  state: JobState
  itemCount: number
  createdAt: string
  finishedAt?: string
  webhookState?: WebhookState
  webhookAttempts: number
  webhookError?: string
}

export interface NewImportItem {
  externalId: string
  url: string
  fileName?: string
  mediaType?: string
  metadata?: Record<string, unknown>
  entryId: string
  /**
   * No live entry had this externalId (in the job's system) when the job was queued: the item's first attempt
   * creates its entry without looking for one (a racing writer's entry makes the insert fail, and the retry looks).
   */
  absentAtQueue?: boolean
}

export interface ImportItem extends NewImportItem {
  jobId: string
  idx: number
  project: string
  state: ItemState
  reason?: string
  attempts: number
  blobKey?: string
  result?: Record<string, unknown>
}

/** How an attempt at an item ended. */
export type ItemOutcome =
  | { state: 'success' | 'skipped' | 'failed'; reason?: string; result?: Record<string, unknown> }
  | { state: 'retry'; reason: string; at: Date }

/** A job with how many of its items are in each state: the progress of a running job. */
export interface ImportJobProgress extends ImportJob {
  items: Record<ItemState, number>
}
