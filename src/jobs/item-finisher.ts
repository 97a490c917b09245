// A worker's finishes of URL-import items (split from worker.ts). Items that end at nearly the same time are
// finished in one transaction (group commit). Each job touched is then checked once for its end, not once per
// item, and not at all while this worker still holds another of its items: that item's own finish checks it
// (or, should its worker crash, the finish of whoever claims it after its lease lapses; the housekeeping
// sweep besides).
import type { JobQueueRepository } from '../db/job-queue.repository.js'
import { groupCommit, type GroupCommit } from './group-commit.js'
import type { HeldItems } from './held-items.js'
import type { ImportItem, ItemOutcome } from './import-job.js'

export type ItemFinisher = GroupCommit<{ item: ImportItem; outcome: ItemOutcome }, { jobEnded: boolean }>

export function itemFinisher(
  queue: Pick<JobQueueRepository, 'finishMany' | 'finishJobIfDone'>,
  held: HeldItems,
  workerId: string,
  now: () => Date,
): ItemFinisher {
  return groupCommit(async (rows) => {
    for (const r of rows) held.release(r.item)
    const mine = await queue.finishMany(
      rows.map((r) => ({ item: r.item, worker: workerId, outcome: r.outcome })),
      now(),
    )
    const ended = new Set<string>()
    for (const jobId of new Set(
      // An outcome another worker's lease refused: that worker finishes the item and checks the job,
      // but this worker may have skipped the check for an item it finished before; check it here too.
      rows.filter((r, i) => !mine[i] || r.outcome.state !== 'retry').map((r) => r.item.jobId),
    )) {
      // Checked after this batch's commit: whichever of two overlapping finishes checks last sees both.
      if (held.holdsJob(jobId)) continue
      if (await queue.finishJobIfDone(jobId, now())) ended.add(jobId)
    }
    // One row per ended job says so (it logs the end once).
    return rows.map((r) => ({ jobEnded: ended.delete(r.item.jobId) }))
  })
}
