import type { Selectable } from 'kysely'
import type { ImportItem, ImportJob, NewImportItem } from '../jobs/import-job.js'
import type { Database } from './database.js'
import { itemFromRow, jobFromRow, jsonOrNull as json } from './import-job.rows.js'
import type { ImportJobTable } from './schema.js'

/**
 * URL-import jobs and their items as created and read back (the queue's side of the same tables is in
 * job-queue.repository.ts, the webhook outbox in webhook-outbox.repository.ts, the UI's progress read
 * model in import-job-list.ts).
 */
export interface ImportJobRepository {
  /** Creates the job and its items (queued, due now) in one transaction. */
  create(
    job: Omit<ImportJob, 'state' | 'itemCount' | 'createdAt' | 'webhookAttempts'>,
    items: NewImportItem[],
    now: Date,
  ): Promise<void>
  get(project: string, id: string): Promise<ImportJob | undefined>
  getById(id: string): Promise<ImportJob | undefined>
  items(jobId: string): Promise<ImportItem[]>
}

/** Values per row of an `import_items` insert. */
const ITEM_COLUMNS = 18

export function createImportJobRepository({ db, caps }: Database): ImportJobRepository {
  const selectJob = (id: string) =>
    db.selectFrom('import_jobs').selectAll().where('id', '=', id).executeTakeFirst()
  const toJob = (r: Selectable<ImportJobTable>) => jobFromRow(caps, r)
  const toItem = (r: Record<string, unknown>) => itemFromRow(caps, r)

  return {
    async create(job, items, now) {
      const at = caps.toTime(now)
      // Rows per insert stay under the bind-parameter limit (ITEM_COLUMNS values per row).
      const chunk = Math.floor(caps.maxBindParams / ITEM_COLUMNS)
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('import_jobs')
          .values({
            id: job.id,
            project: job.project,
            kind: job.kind,
            system_name: job.systemName,
            webhook: job.webhook ?? null,
            context: json(job.context),
            state: 'started',
            item_count: items.length,
            created_at: at,
            finished_at: null,
            webhook_state: null,
            webhook_next_at: null,
            webhook_error: null,
          })
          .execute()
        for (let i = 0; i < items.length; i += chunk) {
          await trx
            .insertInto('import_items')
            .values(
              items.slice(i, i + chunk).map((item, j) => ({
                job_id: job.id,
                idx: i + j,
                project: job.project,
                external_id: item.externalId,
                url: item.url,
                file_name: item.fileName ?? null,
                media_type: item.mediaType ?? null,
                metadata: json(item.metadata),
                state: 'queued',
                reason: null,
                next_attempt_at: at,
                lease_until: null,
                worker: null,
                entry_id: item.entryId,
                blob_key: null,
                result: null,
                updated_at: at,
                absent_at_queue: item.absentAtQueue ? 1 : 0,
              })),
            )
            .execute()
        }
      })
    },
    async get(project, id) {
      const row = await selectJob(id)
      return row && row.project === project ? toJob(row) : undefined
    },
    async getById(id) {
      const row = await selectJob(id)
      return row ? toJob(row) : undefined
    },
    async items(jobId) {
      const rows = await db
        .selectFrom('import_items')
        .selectAll()
        .where('job_id', '=', jobId)
        .orderBy('idx')
        .execute()
      return rows.map((r) => toItem(r as unknown as Record<string, unknown>))
    },
  }
}
