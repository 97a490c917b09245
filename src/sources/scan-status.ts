// A scan as the API and the CLI show it: its counts, open tasks, failures and notes (split from scan-tasks.ts).
import type { ObjectOutcome, ScanRecord, SourceScanRepository } from '../db/source-scan.types.js'

/** A scan as the API and the CLI show it. */
export interface ScanStatus {
  id: string
  source: string
  state: ScanRecord['state']
  dryRun: boolean
  retryFailed: boolean
  createdAt: string
  finishedAt: string | null
  error: string | null
  counts: Record<ObjectOutcome, number>
  /** Tasks not done yet (list pages and batches). */
  pending: { queued: number; running: number }
  /** The failed objects and why (the first `FAILURES_SHOWN` by path). */
  failures: { path: string; reason: string }[]
  /**
   * Objects created with a note: the metadata properties left out under `invalidMetadata: keep` (the first
   * `FAILURES_SHOWN` by path).
   */
  notes: { path: string; note: string }[]
  /** `keep` or `refuse` (the default). */
  invalidMetadata: 'keep' | 'refuse'
  /** Rows of the metadata file given to the scan (0: none). */
  metadataRows: number
}

export const FAILURES_SHOWN = 100

export async function scanStatusOf(scans: SourceScanRepository, scan: ScanRecord): Promise<ScanStatus> {
  const [counts, pending, failed, notes] = await Promise.all([
    scan.counts ?? scans.counts(scan.id),
    scans.openTasks(scan.id),
    scans.results(scan.id, 'failed', FAILURES_SHOWN),
    scans.notes(scan.id, FAILURES_SHOWN),
  ])
  return {
    id: scan.id,
    source: scan.source,
    state: scan.state,
    dryRun: scan.options.dryRun,
    retryFailed: scan.options.retryFailed,
    createdAt: scan.createdAt,
    finishedAt: scan.finishedAt,
    error: scan.error,
    counts,
    pending,
    failures: failed.map((f) => ({ path: f.path, reason: f.reason ?? 'failed' })),
    notes: notes.map((n) => ({ path: n.path, note: n.reason ?? '' })),
    invalidMetadata: scan.options.invalidMetadata ?? 'refuse',
    metadataRows: scan.options.metadataRows ?? 0,
  }
}
