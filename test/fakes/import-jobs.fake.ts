import type { ImportJobRepository } from '../../src/db/import-job.repository.js'
import type { ImportItem, ImportJob } from '../../src/jobs/import-job.js'
import { fakeOf } from './fake-of.js'

/** The URL-import job repository in memory: the part that queues jobs and reads them back. */
export class FakeImportJobs {
  readonly jobs = new Map<string, ImportJob>()
  readonly itemsOf = new Map<string, ImportItem[]>()

  readonly repository: ImportJobRepository = fakeOf<ImportJobRepository>('import job repository', {
    create: async (job, items, now) => {
      if (this.jobs.has(job.id)) throw new Error(`job ${job.id} exists`)
      this.jobs.set(job.id, {
        ...structuredClone(job),
        state: 'started',
        itemCount: items.length,
        createdAt: now.toISOString(),
        webhookAttempts: 0,
      })
      this.itemsOf.set(
        job.id,
        items.map((item, idx) => ({
          ...structuredClone(item),
          jobId: job.id,
          idx,
          project: job.project,
          state: 'queued',
          attempts: 0,
        })),
      )
    },
    get: async (project, id) => {
      const job = this.jobs.get(id)
      return job && job.project === project ? structuredClone(job) : undefined
    },
    items: async (jobId) => structuredClone(this.itemsOf.get(jobId) ?? []),
  })

  /** Ends a job as the worker would: the job's state, and each item's outcome. */
  finish(id: string, state: ImportJob['state'], outcomes: Partial<ImportItem>[]): void {
    const job = this.jobs.get(id)!
    job.state = state
    const items = this.itemsOf.get(id)!
    outcomes.forEach((outcome, i) => Object.assign(items[i]!, outcome))
  }
}
