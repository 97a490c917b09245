// The types of a source's scans, their tasks and results, and the scan repository's interface (issue #22).
import type { ClaimFairness } from './import-item-claim.js'
import type { SourceObjectRecord } from './source.repository.js'

/** What a scan may be asked (issue #22). */
export interface ScanOptions {
  /** Classifies without reading, writing entries or recording objects. */
  dryRun: boolean
  /** Reads again the objects that failed before, even unchanged. */
  retryFailed: boolean
  /** Objects listed per list task. */
  pageSize: number
  /** Objects per batch task (the unit of a claim and of one transaction of results). */
  batchSize: number
  /**
   * Metadata failing the media type's validation (from a metadata file, a sidecar or the embedded tags):
   * `refuse` (default) fails the object with the reason; `keep` creates the entry with the valid properties
   * and reports the dropped ones as the object's note.
   */
  invalidMetadata?: 'keep' | 'refuse'
  /** Rows of a metadata file stored with the scan (`source_metadata`); 0 or absent: none. */
  metadataRows?: number
}

/** One row of a scan's metadata file: the metadata properties of the object at `path`. */
export interface PathMetadata {
  path: string
  metadata: Record<string, unknown>
}

export type ScanState = 'running' | 'done' | 'failed'
export type ObjectOutcome = 'created' | 'updated' | 'unchanged' | 'missing' | 'failed'

export interface ScanRecord {
  id: string
  project: string
  source: string
  options: ScanOptions
  state: ScanState
  error: string | null
  createdAt: string
  finishedAt: string | null
  /** The scan's number within its source (1, 2, …): objects it saw carry it (`source_objects.seen_seq`). */
  seq: number
  /** The counts, frozen when the scan ended; undefined while it runs. */
  counts?: Record<ObjectOutcome, number>
}

/** One listed object, as a batch task carries it. */
export interface ListedObject {
  path: string
  size: number
  version: string
}

export type ScanTask =
  | { scanId: string; idx: number; project: string; kind: 'list'; after: string | null; attempts: number }
  | { scanId: string; idx: number; project: string; kind: 'batch'; objects: ListedObject[]; attempts: number }

export interface ObjectResult {
  path: string
  outcome: ObjectOutcome
  reason?: string
  entryId?: string | null
}

export interface SourceScanRepository {
  /** The scan, its first list task and its metadata file's rows, in one transaction. */
  create(
    scan: { id: string; project: string; source: string; options: ScanOptions },
    now: Date,
    metadata?: readonly PathMetadata[],
  ): Promise<void>
  /** The metadata file's rows of a scan among `paths`, by path. */
  metadataAt(scanId: string, paths: readonly string[]): Promise<Map<string, Record<string, unknown>>>
  /** Objects created or updated with a note (metadata dropped under `invalidMetadata: keep`), by path. */
  notes(scanId: string, limit: number): Promise<ObjectResult[]>
  get(project: string, source: string, id: string): Promise<ScanRecord | undefined>
  getById(id: string): Promise<ScanRecord | undefined>
  /** The latest scans of a source, newest first. */
  list(project: string, source: string, limit: number): Promise<ScanRecord[]>
  /**
   * Claims due or lease-expired tasks, fairly across projects as URL-import items are claimed (one mechanism,
   * `pickFairly`); with `scanId`, only that scan's tasks, in order.
   */
  claim(
    worker: string,
    limit: number,
    now: Date,
    leaseUntil: Date,
    fairness: ClaimFairness,
    scanId?: string,
  ): Promise<ScanTask[]>
  renew(worker: string, task: Pick<ScanTask, 'scanId' | 'idx'>, leaseUntil: Date): Promise<void>
  /**
   * A list task's page: marks its unchanged objects seen by the scan (one UPDATE, no result row each; the
   * task keeps their count), queues batch tasks for the others and the next list task (when `next` is set),
   * and marks the task done, in one transaction; false (nothing written) when this worker lost the task's
   * lease.
   */
  completeList(
    task: Pick<ScanTask, 'scanId' | 'idx' | 'project'>,
    worker: string,
    now: Date,
    batches: readonly ListedObject[][],
    next: string | null,
    unchanged: SeenObjects,
  ): Promise<boolean>
  /**
   * A batch's results and the objects it saw (`save`: recorded anew; `seen.paths`: recorded already, marked
   * seen), with the task marked done, in one transaction.
   */
  completeBatch(
    task: Pick<ScanTask, 'scanId' | 'idx'>,
    worker: string,
    now: Date,
    seen: SeenObjects & { project: string },
    save: readonly SourceObjectRecord[],
    results: readonly ObjectResult[],
  ): Promise<boolean>
  /** Queues the task again at `retryAt`, or fails it for good (`retryAt` null). */
  fail(
    task: Pick<ScanTask, 'scanId' | 'idx'>,
    worker: string,
    now: Date,
    reason: string,
    retryAt: Date | null,
  ): Promise<void>
  /**
   * Finishes the scan when no task is open: `failed` if a task failed (nothing marked missing: the listing
   * may be incomplete), else the recorded present objects it did not see (`seen_seq` below its `seq`) are
   * reported (and, unless a dry run, marked) missing, and the scan is `done`. Its counts are frozen, and the
   * per-object results and tasks of the source's scans older than the latest `KEEP_SCAN_RESULTS` are deleted.
   * True for the one call that finished it.
   */
  finishIfDone(scanId: string, now: Date): Promise<boolean>
  /** Running scans without an open task (a worker died between a task and the scan's end). */
  listDoneUnfinished(limit: number): Promise<string[]>
  /** The counts: frozen when the scan ended, else so far (results by outcome, plus the list tasks' unchanged). */
  counts(scanId: string): Promise<Record<ObjectOutcome, number>>
  /** Objects of an outcome, by path. */
  results(scanId: string, outcome: ObjectOutcome, limit: number): Promise<ObjectResult[]>
  /** Tasks not done yet, by state. */
  openTasks(scanId: string): Promise<{ queued: number; running: number }>
}

/** Unchanged objects of a source seen by the scan numbered `seq`, by path. */
export interface SeenObjects {
  source: string
  seq: number
  paths: readonly string[]
}
