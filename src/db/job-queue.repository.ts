import { sql } from 'kysely'
import type { ImportItem, ItemOutcome } from '../jobs/import-job.js'
import type { Database } from './database.js'
import {
  claimGate,
  claimInOneStatement,
  markClaimed,
  pickFairly,
  type ClaimFairness,
} from './import-item-claim.js'
import { itemFromRow, jsonOrNull as json } from './import-job.rows.js'
import { UPDATE_ROWS, updateSlices, valuesTable } from './update-from-values.js'

/** The work queue over `import_items`: workers claim, renew, finish items and finish their jobs. */
export interface JobQueueRepository {
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
  /**
   * Gives back items this worker claimed and never started (its prefetch, at stop): queued again, due at
   * once, the claim's attempt not counted. Items it no longer holds are left alone.
   */
  unclaim(worker: string, items: readonly Pick<ImportItem, 'jobId' | 'idx'>[], now: Date): Promise<void>
  /** Extends the lease of items this worker still holds. */
  renew(worker: string, items: readonly Pick<ImportItem, 'jobId' | 'idx'>[], leaseUntil: Date): Promise<void>
  setBlobKey(item: Pick<ImportItem, 'jobId' | 'idx'>, worker: string, key: string | null): Promise<void>
  /** `setBlobKey` for several items, one statement per 500. */
  setBlobKeys(
    rows: readonly { item: Pick<ImportItem, 'jobId' | 'idx'>; worker: string; key: string | null }[],
  ): Promise<void>
  /** Records the outcome, if this worker still holds the item. Returns false when the lease was lost. */
  finish(
    item: Pick<ImportItem, 'jobId' | 'idx'>,
    worker: string,
    outcome: ItemOutcome,
    now: Date,
  ): Promise<boolean>
  /** `finish` for several items, in one statement (per 500, then in one transaction); answers `finish`'s boolean for each, in order. */
  finishMany(
    rows: readonly { item: Pick<ImportItem, 'jobId' | 'idx'>; worker: string; outcome: ItemOutcome }[],
    now: Date,
  ): Promise<boolean[]>
  /**
   * Marks the job finished when it has no queued or running item left; returns true for the one call that
   * did it. A job with a webhook gets its delivery queued at the same time.
   */
  finishJobIfDone(jobId: string, now: Date): Promise<boolean>
  /** Jobs still `started` whose items are all done (a worker died between an item and its job's end). */
  listDoneUnfinished(limit: number): Promise<string[]>
}

export function createJobQueueRepository({ db, caps }: Database): JobQueueRepository {
  const gate = claimGate(db, caps, 'import_items')
  const toItem = (r: Record<string, unknown>) => itemFromRow(caps, r)
  const itemKey = (item: Pick<ImportItem, 'jobId' | 'idx'>, q: Pick<typeof db, 'updateTable'> = db) =>
    q.updateTable('import_items').where('job_id', '=', item.jobId).where('idx', '=', item.idx)

  const finishOne = async (
    q: Pick<typeof db, 'updateTable'>,
    item: Pick<ImportItem, 'jobId' | 'idx'>,
    worker: string,
    outcome: ItemOutcome,
    now: Date,
  ) => {
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
    const res = await itemKey(item, q)
      .set(values)
      .where('worker', '=', worker)
      .where('state', '=', 'running')
      .executeTakeFirst()
    return Number(res.numUpdatedRows) === 1
  }

  return {
    async claim(worker, limit, now, leaseUntil, fairness = { maxInFlightPerProject: 0 }) {
      // PostgreSQL: the picks are locked (SKIP LOCKED) until the update, so concurrent workers pick
      // different items. SQLite has one writer; the update's own conditions drop an item another process
      // took between the pick and the update.
      const claimWith = async (q: typeof db) => {
        const picked = await pickFairly(q, caps, limit, now, fairness)
        if (picked.length === 0) return []
        const rows = await markClaimed(q, caps, 'import_items', picked, worker, now, leaseUntil)
        // In the order picked, so the worker's round-robin continues after the last project served.
        const position = new Map(picked.map((p, i) => [`${p.job_id}\u0000${p.idx}`, i]))
        return rows
          .map((r) => toItem(r))
          .sort(
            (a, b) =>
              (position.get(`${a.jobId}\u0000${a.idx}`) ?? 0) -
              (position.get(`${b.jobId}\u0000${b.idx}`) ?? 0),
          )
      }
      if (caps.name === 'postgres' && fairness.maxInFlightPerProject === 0) {
        return gate(now, async () =>
          (
            await claimInOneStatement(
              db,
              caps,
              'import_items',
              limit,
              now,
              fairness.afterProject,
              worker,
              leaseUntil,
            )
          ).map((r) => toItem(r)),
        )
      }
      return gate(now, () => (caps.name === 'postgres' ? db.transaction().execute(claimWith) : claimWith(db)))
    },
    async unclaim(worker, items, now) {
      if (items.length === 0) return
      await db
        .updateTable('import_items')
        .set((eb) => ({
          state: 'queued',
          lease_until: null,
          attempts: eb('attempts', '-', 1),
          updated_at: caps.toTime(now),
        }))
        .where((eb) =>
          eb(
            eb.refTuple('job_id', 'idx'),
            'in',
            items.map((i) => eb.tuple(i.jobId, i.idx)),
          ),
        )
        .where('worker', '=', worker)
        .where('state', '=', 'running')
        .execute()
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
    async setBlobKeys(rows) {
      if (rows.length === 1) return this.setBlobKey(rows[0]!.item, rows[0]!.worker, rows[0]!.key)
      // One statement per slice (atomic on its own; the slices of a group need not be: each key stands alone).
      // An item named twice gets its last key, as row-by-row updates would leave it.
      const last = new Map(rows.map((r) => [`${r.item.jobId}\u0000${r.item.idx}\u0000${r.worker}`, r]))
      for (const slice of updateSlices([...last.values()])) {
        const v = valuesTable(
          caps,
          ['text', 'integer', 'text', 'text'],
          slice.map(({ item, worker, key }) => [item.jobId, item.idx, worker, key]),
        )
        await sql`update import_items set blob_key = v.column4 from ${v}
          where import_items.job_id = v.column1 and import_items.idx = v.column2
            and import_items.worker = v.column3`.execute(db)
      }
    },
    async finish(item, worker, outcome, now) {
      return finishOne(db, item, worker, outcome, now)
    },
    async finishMany(rows, now) {
      if (rows.length === 1)
        return [await finishOne(db, rows[0]!.item, rows[0]!.worker, rows[0]!.outcome, now)]
      // One `UPDATE … FROM (VALUES …) RETURNING` for the batch: what finishOne does row by row. A retry puts the
      // item back in the queue (its result untouched), any other outcome records state, reason and result.
      const key = (jobId: string, idx: number) => `${jobId}\u0000${idx}`
      // An item named twice (a worker that claimed its own item again after its lease lapsed): the first
      // outcome lands and the later ones answer false, as row-by-row updates would (the first ends `running`).
      const firsts = new Map<string, number>()
      rows.forEach(({ item }, i) => {
        if (!firsts.has(key(item.jobId, item.idx))) firsts.set(key(item.jobId, item.idx), i)
      })
      const unique = rows.filter(({ item }, i) => firsts.get(key(item.jobId, item.idx)) === i)
      const taken = new Set<string>()
      const t = caps.toTime(now)
      const run = async (q: typeof db) => {
        for (const slice of updateSlices(unique)) {
          const v = valuesTable(
            caps,
            ['text', 'integer', 'text', 'text', 'text', caps.jsonType, caps.timestampType],
            slice.map(({ item, worker, outcome }) => [
              item.jobId,
              item.idx,
              worker,
              outcome.state === 'retry' ? 'queued' : outcome.state,
              outcome.reason ?? null,
              outcome.state === 'retry' ? null : json(outcome.result),
              outcome.state === 'retry' ? caps.toTime(outcome.at) : null,
            ]),
          )
          const updated = await sql<{ job_id: string; idx: number | string }>`update import_items set
              state = v.column4,
              reason = v.column5,
              result = case when v.column4 = 'queued' then import_items.result else v.column6 end,
              next_attempt_at = case when v.column4 = 'queued' then v.column7 else import_items.next_attempt_at end,
              lease_until = null,
              updated_at = ${t}
            from ${v}
            where import_items.job_id = v.column1 and import_items.idx = v.column2
              and import_items.worker = v.column3 and import_items.state = 'running'
            returning import_items.job_id, import_items.idx`.execute(q)
          for (const r of updated.rows) taken.add(key(r.job_id, Number(r.idx)))
        }
      }
      if (unique.length <= UPDATE_ROWS) await run(db)
      else await db.transaction().execute(run)
      return rows.map(
        ({ item }, i) => firsts.get(key(item.jobId, item.idx)) === i && taken.has(key(item.jobId, item.idx)),
      )
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
  }
}
