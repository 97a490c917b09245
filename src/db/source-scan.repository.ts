import { type Selectable } from 'kysely'
import type { Database } from './database.js'
import { claimGate, markClaimed, pickFairly } from './import-item-claim.js'
import type { SourceScanTable, SourceScanTaskTable } from './schema-sources.js'
import { markObjectsSeen, saveSourceObjects } from './source.repository.js'
import { finishScan, insertScan, liveCounts, ROWS, saveResults, taskRow } from './source-scan.statements.js'
import type {
  ListedObject,
  ObjectOutcome,
  ObjectResult,
  ScanOptions,
  ScanRecord,
  ScanState,
  ScanTask,
  SourceScanRepository,
} from './source-scan.types.js'

export function createSourceScanRepository({ db, caps }: Database): SourceScanRepository {
  const gate = claimGate(db, caps, 'source_scan_tasks')
  const toScan = (r: Selectable<SourceScanTable>): ScanRecord => ({
    id: r.id,
    project: r.project,
    source: r.source,
    options: JSON.parse(r.options) as ScanOptions,
    state: r.state as ScanState,
    error: r.error,
    createdAt: caps.fromTime(r.created_at),
    finishedAt: r.finished_at === null ? null : caps.fromTime(r.finished_at),
    seq: Number(r.seq),
    ...(r.counts !== null ? { counts: JSON.parse(r.counts) as Record<ObjectOutcome, number> } : {}),
  })
  const toTask = (
    r: Pick<Selectable<SourceScanTaskTable>, 'job_id' | 'idx' | 'project' | 'kind' | 'payload' | 'attempts'>,
  ): ScanTask => {
    const base = { scanId: r.job_id, idx: Number(r.idx), project: r.project, attempts: Number(r.attempts) }
    const payload = JSON.parse(r.payload) as { after?: string | null; objects?: ListedObject[] }
    return r.kind === 'list'
      ? { ...base, kind: 'list', after: payload.after ?? null }
      : { ...base, kind: 'batch', objects: payload.objects ?? [] }
  }
  const taskKey = (task: Pick<ScanTask, 'scanId' | 'idx'>) =>
    db.updateTable('source_scan_tasks').where('job_id', '=', task.scanId).where('idx', '=', task.idx)
  const newTask = (scanId: string, idx: number, project: string, kind: string, payload: unknown, now: Date) =>
    taskRow(caps, scanId, idx, project, kind, payload, now)
  /**
   * Marks the task done if this worker still holds it (inside the caller's transaction), with the number of
   * unchanged objects it settled.
   */
  const markDone = async (
    q: typeof db,
    task: Pick<ScanTask, 'scanId' | 'idx'>,
    worker: string,
    now: Date,
    unchanged = 0,
  ) => {
    const res = await q
      .updateTable('source_scan_tasks')
      .set({ state: 'done', lease_until: null, reason: null, updated_at: caps.toTime(now), unchanged })
      .where('job_id', '=', task.scanId)
      .where('idx', '=', task.idx)
      .where('worker', '=', worker)
      .where('state', '=', 'running')
      .executeTakeFirst()
    return Number(res.numUpdatedRows) === 1
  }

  /** Results of some outcomes by path (`noted`: only those with a reason). */
  const results = async (scanId: string, outcomes: ObjectOutcome[], limit: number, noted: boolean) => {
    const rows = await db
      .selectFrom('source_scan_results')
      .select(['path', 'outcome', 'reason', 'entry_id'])
      .where('scan_id', '=', scanId)
      .where('outcome', 'in', outcomes)
      .$if(noted, (q) => q.where('reason', 'is not', null))
      .orderBy('path')
      .limit(limit)
      .execute()
    return rows.map((r): ObjectResult => ({
      path: r.path,
      outcome: r.outcome as ObjectOutcome,
      ...(r.reason !== null ? { reason: r.reason } : {}),
      entryId: r.entry_id,
    }))
  }

  return {
    async create(scan, now, metadata = []) {
      await db.transaction().execute(async (trx) => {
        await insertScan(trx, caps, scan, now)
        for (let i = 0; i < metadata.length; i += ROWS) {
          await trx
            .insertInto('source_metadata')
            .values(
              metadata
                .slice(i, i + ROWS)
                .map((m) => ({ scan_id: scan.id, path: m.path, metadata: JSON.stringify(m.metadata) })),
            )
            .execute()
        }
      })
    },
    async metadataAt(scanId, paths) {
      const found = new Map<string, Record<string, unknown>>()
      for (let i = 0; i < paths.length; i += ROWS) {
        const rows = await db
          .selectFrom('source_metadata')
          .select(['path', 'metadata'])
          .where('scan_id', '=', scanId)
          .where('path', 'in', paths.slice(i, i + ROWS))
          .execute()
        for (const r of rows) found.set(r.path, JSON.parse(r.metadata) as Record<string, unknown>)
      }
      return found
    },
    notes: (scanId, limit) => results(scanId, ['created', 'updated'], limit, true),
    async get(project, source, id) {
      const row = await db
        .selectFrom('source_scans')
        .selectAll()
        .where('id', '=', id)
        .where('project', '=', project)
        .where('source', '=', source)
        .executeTakeFirst()
      return row ? toScan(row) : undefined
    },
    async getById(id) {
      const row = await db.selectFrom('source_scans').selectAll().where('id', '=', id).executeTakeFirst()
      return row ? toScan(row) : undefined
    },
    async list(project, source, limit) {
      const rows = await db
        .selectFrom('source_scans')
        .selectAll()
        .where('project', '=', project)
        .where('source', '=', source)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
      return rows.map(toScan)
    },
    async claim(worker, limit, now, leaseUntil, fairness, scanId) {
      const t = caps.toTime(now)
      const claimWith = async (q: typeof db) => {
        const picked =
          scanId === undefined
            ? await pickFairly(q, caps, limit, now, fairness, 'source_scan_tasks')
            : await q
                .selectFrom('source_scan_tasks')
                .select(['job_id', 'idx'])
                .where('job_id', '=', scanId)
                .where((eb) =>
                  eb.or([
                    eb.and([eb('state', '=', 'queued'), eb('next_attempt_at', '<=', t)]),
                    eb.and([eb('state', '=', 'running'), eb('lease_until', '<', t)]),
                  ]),
                )
                .orderBy('idx')
                .limit(limit)
                .$if(caps.name === 'postgres', (s) => s.forUpdate().skipLocked())
                .execute()
        if (picked.length === 0) return []
        const rows = await markClaimed(q, caps, 'source_scan_tasks', picked, worker, now, leaseUntil)
        return rows
          .map((r) => toTask(r as unknown as Selectable<SourceScanTaskTable>))
          .sort((a, b) => a.idx - b.idx)
      }
      return gate(now, () => (caps.name === 'postgres' ? db.transaction().execute(claimWith) : claimWith(db)))
    },
    async renew(worker, task, leaseUntil) {
      await taskKey(task)
        .set({ lease_until: caps.toTime(leaseUntil) })
        .where('worker', '=', worker)
        .where('state', '=', 'running')
        .execute()
    },
    async completeList(task, worker, now, batches, next, unchanged) {
      return db.transaction().execute(async (trx) => {
        if (!(await markDone(trx, task, worker, now, unchanged.paths.length))) return false
        await markObjectsSeen(trx, task.project, unchanged.source, unchanged.seq, unchanged.paths)
        // Only one list task of a scan is open at a time, so the indexes taken here are free.
        const top = await trx
          .selectFrom('source_scan_tasks')
          .select((eb) => eb.fn.max('idx').as('top'))
          .where('job_id', '=', task.scanId)
          .executeTakeFirst()
        let idx = Number(top?.top ?? task.idx)
        const rows = batches.map((objects) =>
          newTask(task.scanId, ++idx, task.project, 'batch', { objects }, now),
        )
        if (next !== null) rows.push(newTask(task.scanId, ++idx, task.project, 'list', { after: next }, now))
        for (let i = 0; i < rows.length; i += 100) {
          await trx
            .insertInto('source_scan_tasks')
            .values(rows.slice(i, i + 100))
            .execute()
        }
        return true
      })
    },
    async completeBatch(task, worker, now, seen, save, results) {
      return db.transaction().execute(async (trx) => {
        if (!(await markDone(trx, task, worker, now))) return false
        await saveSourceObjects(trx, seen.project, seen.source, save, seen.seq)
        await markObjectsSeen(trx, seen.project, seen.source, seen.seq, seen.paths)
        await saveResults(trx, task.scanId, results)
        return true
      })
    },
    async fail(task, worker, now, reason, retryAt) {
      await taskKey(task)
        .set(
          retryAt
            ? {
                state: 'queued',
                reason,
                next_attempt_at: caps.toTime(retryAt),
                lease_until: null,
                updated_at: caps.toTime(now),
              }
            : { state: 'failed', reason, lease_until: null, updated_at: caps.toTime(now) },
        )
        .where('worker', '=', worker)
        .where('state', '=', 'running')
        .execute()
    },
    finishIfDone: (scanId, now) => db.transaction().execute((trx) => finishScan(trx, caps, scanId, now)),
    async listDoneUnfinished(limit) {
      const rows = await db
        .selectFrom('source_scans as s')
        .select('s.id')
        .where('s.state', '=', 'running')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('source_scan_tasks as t')
                .select('t.idx')
                .whereRef('t.job_id', '=', 's.id')
                .where('t.state', 'in', ['queued', 'running']),
            ),
          ),
        )
        .limit(limit)
        .execute()
      return rows.map((r) => r.id)
    },
    async counts(scanId) {
      const frozen = await db
        .selectFrom('source_scans')
        .select('counts')
        .where('id', '=', scanId)
        .executeTakeFirst()
      if (frozen?.counts) return JSON.parse(frozen.counts) as Record<ObjectOutcome, number>
      return liveCounts(db, scanId)
    },
    results: (scanId, outcome, limit) => results(scanId, [outcome], limit, false),
    async openTasks(scanId) {
      const rows = await db
        .selectFrom('source_scan_tasks')
        .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
        .where('job_id', '=', scanId)
        .where('state', 'in', ['queued', 'running'])
        .groupBy('state')
        .execute()
      const n = (s: string) => Number(rows.find((r) => r.state === s)?.n ?? 0)
      return { queued: n('queued'), running: n('running') }
    },
  }
}
