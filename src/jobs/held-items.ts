import type { ImportItem } from './import-job.js'

/**
 * The URL-import items one worker holds: claimed and not yet finished (prefetched, running, or with their outcome
 * being written). Each is held under the worker's lease, renewed from its claim (a long download keeps its
 * claim) until it is released. A job with an item still held here cannot have ended: that item is in this
 * worker's hands, and its own finish checks the job.
 */
export interface HeldItems {
  /** Holds a claimed item and starts renewing its lease. */
  hold(item: ImportItem): void
  /** Stops holding it (its outcome is being written, or it is given back or left to lapse). Idempotent. */
  release(item: Pick<ImportItem, 'jobId' | 'idx'>): void
  /** Whether an item of this job is held here. */
  holdsJob(jobId: string): boolean
}

export function heldItems(renew: (item: ImportItem) => void, everyMs: number): HeldItems {
  const timers = new Map<string, ReturnType<typeof setInterval>>()
  /** Items held, by job: the count the job-end check reads. */
  const byJob = new Map<string, number>()
  const keyOf = (item: Pick<ImportItem, 'jobId' | 'idx'>) => `${item.jobId}/${item.idx}`
  return {
    hold(item) {
      const key = keyOf(item)
      if (timers.has(key)) return
      timers.set(
        key,
        setInterval(() => renew(item), everyMs),
      )
      byJob.set(item.jobId, (byJob.get(item.jobId) ?? 0) + 1)
    },
    release(item) {
      const key = keyOf(item)
      const timer = timers.get(key)
      if (timer === undefined) return
      clearInterval(timer)
      timers.delete(key)
      const left = (byJob.get(item.jobId) ?? 1) - 1
      if (left > 0) byJob.set(item.jobId, left)
      else byJob.delete(item.jobId)
    },
    holdsJob: (jobId) => byJob.has(jobId),
  }
}
