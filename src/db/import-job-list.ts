import type { Database } from './database.js'
import type { ImportJob, ImportJobProgress, ItemState } from '../jobs/import-job.js'
import { jobFromRow } from './import-job.rows.js'

export interface ImportJobList {
  /** The project's newest jobs, newest first, with their items' states counted. */
  recent(project: string, limit: number): Promise<ImportJobProgress[]>
  /** One job of the project with its items' states counted; undefined when the project has no such job. */
  progress(project: string, id: string): Promise<ImportJobProgress | undefined>
}

const NO_ITEMS: Record<ItemState, number> = { queued: 0, running: 0, success: 0, skipped: 0, failed: 0 }

/**
 * Reads jobs for people watching them (the UI). Counting uses the `(job_id, state)` index, so a poll
 * costs one index range per job, not a read of its items.
 */
export function createImportJobList({ db, caps }: Database): ImportJobList {
  async function withCounts(jobs: ImportJob[]): Promise<ImportJobProgress[]> {
    if (jobs.length === 0) return []
    const rows = await db
      .selectFrom('import_items')
      .select(['job_id', 'state', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where(
        'job_id',
        'in',
        jobs.map((j) => j.id),
      )
      .groupBy(['job_id', 'state'])
      .execute()
    const counts = new Map(jobs.map((j) => [j.id, { ...NO_ITEMS }]))
    for (const row of rows) {
      const of = counts.get(row.job_id)
      if (of && row.state in of) of[row.state as ItemState] = Number(row.n)
    }
    return jobs.map((job) => ({ ...job, items: counts.get(job.id)! }))
  }

  return {
    async recent(project, limit) {
      const rows = await db
        .selectFrom('import_jobs')
        .selectAll()
        .where('project', '=', project)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
      return withCounts(rows.map((r) => jobFromRow(caps, r)))
    },
    async progress(project, id) {
      const row = await db
        .selectFrom('import_jobs')
        .selectAll()
        .where('project', '=', project)
        .where('id', '=', id)
        .executeTakeFirst()
      return row ? (await withCounts([jobFromRow(caps, row)]))[0] : undefined
    },
  }
}
