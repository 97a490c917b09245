import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Selectable } from 'kysely'
import type { Database } from './database.js'
import { pickFairly, type ClaimFairness } from './import-item-claim.js'
import { itemFromRow, jobFromRow } from './import-job.rows.js'
import type { ImportJobTable } from './schema.js'

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
  /**
   * Claims up to `limit` items that are due (queued and past their next attempt) or whose lease expired,
   * marks them running under `worker` until `leaseUntil`, and counts the attempt. Fair: round-robin
   * across projects, then across jobs, each project under its in-flight cap (see `pickFairly`). On
   * PostgreSQL the picks are locked with `FOR UPDATE SKIP LOCKED`, so concurrent workers never claim the
   * same item; on SQLite the update re-checks each pick.
   */
  claim(
    worker: string,
    limit: number,
    now: Date,
    leaseUntil: Date,
    fairness?: ClaimFairness,
  ): Promise<ImportItem[]>
  /** Extends the lease of items this worker still holds. */
  renew(worker: string, items: readonly Pick<ImportItem, 'jobId' | 'idx'>[], leaseUntil: Date): Promise<void>
  setBlobKey(item: Pick<ImportItem, 'jobId' | 'idx'>, worker: string, key: string | null): Promise<void>
  /** Records the outcome, if this worker still holds the item. Returns false when the lease was lost. */
  finish(
    item: Pick<ImportItem, 'jobId' | 'idx'>,
    worker: string,
    outcome: ItemOutcome,
    now: Date,
  ): Promise<boolean>
  /**
   * Marks the job finished when it has no queued or running item left; returns true for the one call that
   * did it. A job with a webhook gets its delivery queued at the same time.
   */
  finishJobIfDone(jobId: string, now: Date): Promise<boolean>
  /** Jobs still `started` whose items are all done (a worker died between an item and its job's end). */
  listDoneUnfinished(limit: number): Promise<string[]>
  /** Claims one due webhook delivery (the lease is the next attempt time). */
  claimWebhook(now: Date, retryAt: Date): Promise<ImportJob | undefined>
  /**
   * Extends the claim of a delivery in progress (`attempts` as claimed: a later claim by another worker
   * has counted another attempt, and is not extended).
   */
  renewWebhook(jobId: string, attempts: number, leaseUntil: Date): Promise<void>
  recordWebhook(jobId: string, state: WebhookState, error: string | null, nextAt: Date | null): Promise<void>
  /** The project's webhook signing secret, created on first use. */
  webhookSecret(project: string): Promise<string>
  getContentSha(project: string, entryId: string): Promise<string | undefined>
  setContentSha(project: string, entryId: string, sha256: string): Promise<void>
}

/** Values per row of an `import_items` insert. */
const ITEM_COLUMNS = 17

export function createImportJobRepository({ db, caps }: Database): ImportJobRepository {
  const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v))
  const selectJob = (id: string) =>
    db.selectFrom('import_jobs').selectAll().where('id', '=', id).executeTakeFirst()
  const toJob = (r: Selectable<ImportJobTable>) => jobFromRow(caps, r)
  const toItem = (r: Record<string, unknown>) => itemFromRow(caps, r)
  const itemKey = (item: Pick<ImportItem, 'jobId' | 'idx'>) =>
    db.updateTable('import_items').where('job_id', '=', item.jobId).where('idx', '=', item.idx)

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
    async claim(worker, limit, now, leaseUntil, fairness = { maxInFlightPerProject: 0 }) {
      const t = caps.toTime(now)
      // PostgreSQL: the picks are locked (SKIP LOCKED) until the update, so concurrent workers pick
      // different items. SQLite has one writer; the update's own conditions drop an item another process
      // took between the pick and the update.
      const claimWith = async (q: typeof db) => {
        const picked = await pickFairly(q, caps, limit, now, fairness)
        if (picked.length === 0) return []
        const rows = await q
          .updateTable('import_items')
          .set((eb) => ({
            state: 'running',
            worker,
            lease_until: caps.toTime(leaseUntil),
            attempts: eb('attempts', '+', 1),
            updated_at: t,
          }))
          .where((eb) =>
            eb.and([
              eb(
                eb.refTuple('job_id', 'idx'),
                'in',
                picked.map((p) => eb.tuple(p.job_id, p.idx)),
              ),
              eb.or([
                eb.and([eb('state', '=', 'queued'), eb('next_attempt_at', '<=', t)]),
                eb.and([eb('state', '=', 'running'), eb('lease_until', '<', t)]),
              ]),
            ]),
          )
          .returningAll()
          .execute()
        // In the order picked, so the worker's round-robin continues after the last project served.
        const position = new Map(picked.map((p, i) => [`${p.job_id}\u0000${p.idx}`, i]))
        return rows
          .map((r) => toItem(r as unknown as Record<string, unknown>))
          .sort(
            (a, b) =>
              (position.get(`${a.jobId}\u0000${a.idx}`) ?? 0) -
              (position.get(`${b.jobId}\u0000${b.idx}`) ?? 0),
          )
      }
      return caps.name === 'postgres' ? db.transaction().execute(claimWith) : claimWith(db)
    },
    async renew(worker, items, leaseUntil) {
      for (const item of items) {
        await itemKey(item)
          .set({ lease_until: caps.toTime(leaseUntil) })
          .where('worker', '=', worker)
          .where('state', '=', 'running')
          .execute()
      }
    },
    async setBlobKey(item, worker, key) {
      await itemKey(item).set({ blob_key: key }).where('worker', '=', worker).execute()
    },
    async finish(item, worker, outcome, now) {
      const t = caps.toTime(now)
      const values =
        outcome.state === 'retry'
          ? {
              state: 'queued',
              reason: outcome.reason,
              next_attempt_at: caps.toTime(outcome.at),
              lease_until: null,
              updated_at: t,
            }
          : {
              state: outcome.state,
              reason: outcome.reason ?? null,
              result: json(outcome.result),
              lease_until: null,
              updated_at: t,
            }
      const res = await itemKey(item)
        .set(values)
        .where('worker', '=', worker)
        .where('state', '=', 'running')
        .executeTakeFirst()
      return Number(res.numUpdatedRows) === 1
    },
    async finishJobIfDone(jobId, now) {
      const t = caps.toTime(now)
      const res = await db
        .updateTable('import_jobs')
        .set((eb) => ({
          state: sql<string>`case when exists (select 1 from import_items i where i.job_id = ${jobId} and i.state <> 'failed') then 'success' else 'failed' end`,
          finished_at: t,
          webhook_state: eb.case().when('webhook', 'is not', null).then('pending').else(null).end(),
          // Only read while webhook_state is pending.
          webhook_next_at: t,
        }))
        .where('id', '=', jobId)
        .where('state', '=', 'started')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('import_items')
                .select('idx')
                .where('job_id', '=', jobId)
                .where('state', 'in', ['queued', 'running']),
            ),
          ),
        )
        .executeTakeFirst()
      return Number(res.numUpdatedRows) === 1
    },
    async listDoneUnfinished(limit) {
      const rows = await db
        .selectFrom('import_jobs as j')
        .select('j.id')
        .where('j.state', '=', 'started')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('import_items as i')
                .select('i.idx')
                .whereRef('i.job_id', '=', 'j.id')
                .where('i.state', 'in', ['queued', 'running']),
            ),
          ),
        )
        .limit(limit)
        .execute()
      return rows.map((r) => r.id)
    },
    async claimWebhook(now, retryAt) {
      const due = db
        .selectFrom('import_jobs')
        .select('id')
        .where('webhook_state', '=', 'pending')
        .where('webhook_next_at', '<=', caps.toTime(now))
        .limit(1)
        .$if(caps.name === 'postgres', (q) => q.forUpdate().skipLocked())
      // SQLite: a poll that finds nothing due writes nothing. An UPDATE takes the write lock even when it
      // matches no row, and waits for it synchronously (busy_timeout): while the import worker wrote a
      // 64 MiB batch, the idle job worker's poll blocked the event loop for seconds (issue 13, finding 10).
      if (caps.name === 'sqlite' && !(await due.executeTakeFirst())) return undefined
      const row = await db
        .updateTable('import_jobs')
        .set((eb) => ({
          webhook_next_at: caps.toTime(retryAt),
          webhook_attempts: eb('webhook_attempts', '+', 1),
        }))
        .where('id', 'in', due)
        .returningAll()
        .executeTakeFirst()
      return row ? toJob(row) : undefined
    },
    async renewWebhook(jobId, attempts, leaseUntil) {
      await db
        .updateTable('import_jobs')
        .set({ webhook_next_at: caps.toTime(leaseUntil) })
        .where('id', '=', jobId)
        .where('webhook_state', '=', 'pending')
        .where('webhook_attempts', '=', attempts)
        .execute()
    },
    async recordWebhook(jobId, state, error, nextAt) {
      await db
        .updateTable('import_jobs')
        .set({
          webhook_state: state,
          webhook_error: error,
          webhook_next_at: nextAt ? caps.toTime(nextAt) : null,
        })
        .where('id', '=', jobId)
        .execute()
    },
    async webhookSecret(project) {
      await db
        .insertInto('webhook_secrets')
        .values({ project, secret: randomBytes(32).toString('hex') })
        .onConflict((oc) => oc.column('project').doNothing())
        .execute()
      const row = await db
        .selectFrom('webhook_secrets')
        .select('secret')
        .where('project', '=', project)
        .executeTakeFirstOrThrow()
      return row.secret
    },
    async getContentSha(project, entryId) {
      const row = await db
        .selectFrom('media_entries')
        .select('content_sha256')
        .where('project', '=', project)
        .where('id', '=', entryId)
        .executeTakeFirst()
      return row?.content_sha256 ?? undefined
    },
    async setContentSha(project, entryId, sha256) {
      await db
        .updateTable('media_entries')
        .set({ content_sha256: sha256 })
        .where('project', '=', project)
        .where('id', '=', entryId)
        .execute()
    },
  }
}
