import { sql, type Kysely, type Selectable } from 'kysely'
import type { Database } from './database.js'
import { claimGate, markClaimed, pickFairly, type ClaimFairness } from './import-item-claim.js'
import type { DatabaseSchema, SourceScanTable, SourceScanTaskTable } from './schema.js'
import { markObjectsSeen, saveSourceObjects, type SourceObjectRecord } from './source.repository.js'

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

const OUTCOMES: ObjectOutcome[] = ['created', 'updated', 'unchanged', 'missing', 'failed']
const ROWS = 500
/** Per source, the scans whose per-object results (and tasks) are kept; older ones keep their counts only. */
export const KEEP_SCAN_RESULTS = 10

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
    async finishIfDone(scanId, now) {
      return db.transaction().execute(async (trx) => {
        const open = await trx
          .selectFrom('source_scan_tasks')
          .select('idx')
          .where('job_id', '=', scanId)
          .where('state', 'in', ['queued', 'running'])
          .limit(1)
          .executeTakeFirst()
        if (open) return false
        const failedTask = await trx
          .selectFrom('source_scan_tasks')
          .select('reason')
          .where('job_id', '=', scanId)
          .where('state', '=', 'failed')
          .limit(1)
          .executeTakeFirst()
        const claimed = await trx
          .updateTable('source_scans')
          .set({
            state: failedTask ? 'failed' : 'done',
            error: failedTask ? (failedTask.reason ?? 'a task failed') : null,
            finished_at: caps.toTime(now),
          })
          .where('id', '=', scanId)
          .where('state', '=', 'running')
          .returning(['project', 'source', 'options', 'seq'])
          .executeTakeFirst()
        if (!claimed) return false
        const scan = { ...claimed, seq: Number(claimed.seq) }
        if (!failedTask) await reportMissing(trx, scanId, scan)
        await trx
          .updateTable('source_scans')
          .set({ counts: JSON.stringify(await liveCounts(trx, scanId)) })
          .where('id', '=', scanId)
          .execute()
        await pruneScans(trx, scan)
        // The metadata file's rows served the scan's batches, which are all done: they go now, not with the
        // scan (a source rescanned with a big file each time would keep every file's rows).
        await trx.deleteFrom('source_metadata').where('scan_id', '=', scanId).execute()
        return true
      })
    },
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

const taskRow = (
  caps: Database['caps'],
  scanId: string,
  idx: number,
  project: string,
  kind: string,
  payload: unknown,
  now: Date,
) => ({
  job_id: scanId,
  idx,
  project,
  kind,
  payload: JSON.stringify(payload),
  state: 'queued',
  next_attempt_at: caps.toTime(now),
  updated_at: caps.toTime(now),
})

/**
 * A new scan and its first list task, inside the caller's transaction: the one way a scan starts (the
 * CLI and the API through `create`, a source's schedule through its compare-and-set).
 */
export async function insertScan(
  q: Kysely<DatabaseSchema>,
  caps: Database['caps'],
  scan: { id: string; project: string; source: string; options: ScanOptions },
  now: Date,
): Promise<void> {
  await q
    .insertInto('source_scans')
    .values({
      id: scan.id,
      project: scan.project,
      source: scan.source,
      options: JSON.stringify(scan.options),
      state: 'running',
      created_at: caps.toTime(now),
      seq: await nextScanSeq(q, scan.project, scan.source),
    })
    .execute()
  await q
    .insertInto('source_scan_tasks')
    .values(taskRow(caps, scan.id, 0, scan.project, 'list', { after: null }, now))
    .execute()
}

/** Inserts or replaces per-object results, 500 rows a statement (a task run twice reports each object once). */
async function saveResults(db: Kysely<DatabaseSchema>, scanId: string, results: readonly ObjectResult[]) {
  for (let i = 0; i < results.length; i += ROWS) {
    await db
      .insertInto('source_scan_results')
      .values(
        results.slice(i, i + ROWS).map((r) => ({
          scan_id: scanId,
          path: r.path,
          outcome: r.outcome,
          reason: r.reason ?? null,
          entry_id: r.entryId ?? null,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['scan_id', 'path']).doUpdateSet((eb) => ({
          outcome: eb.ref('excluded.outcome'),
          reason: eb.ref('excluded.reason'),
          entry_id: eb.ref('excluded.entry_id'),
        })),
      )
      .execute()
  }
}

/** The next scan number of a source (its row locked until the caller's transaction ends, on PostgreSQL). */
async function nextScanSeq(q: Kysely<DatabaseSchema>, project: string, source: string): Promise<number> {
  const row = await q
    .updateTable('sources')
    .set((eb) => ({ scan_seq: eb('scan_seq', '+', 1) }))
    .where('project', '=', project)
    .where('handle', '=', source)
    .returning('scan_seq')
    .executeTakeFirst()
  return Number(row?.scan_seq ?? 1)
}

/** Results by outcome, plus the unchanged objects the list tasks counted. */
async function liveCounts(q: Kysely<DatabaseSchema>, scanId: string): Promise<Record<ObjectOutcome, number>> {
  const rows = await q
    .selectFrom('source_scan_results')
    .select(['outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('scan_id', '=', scanId)
    .groupBy('outcome')
    .execute()
  const listed = await q
    .selectFrom('source_scan_tasks')
    .select((eb) => eb.fn.sum<number>('unchanged').as('n'))
    .where('job_id', '=', scanId)
    .where('kind', '=', 'list')
    .executeTakeFirst()
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<ObjectOutcome, number>
  for (const r of rows) counts[r.outcome as ObjectOutcome] = Number(r.n)
  counts.unchanged += Number(listed?.n ?? 0)
  return counts
}

/**
 * The recorded present objects the scan did not see: `seen_seq` below its `seq` and no result of this scan
 * (a scan begun before migration 0015 wrote a result for each unchanged object instead). Reported `missing`,
 * and marked so unless a dry run.
 */
async function reportMissing(
  q: Kysely<DatabaseSchema>,
  scanId: string,
  scan: { project: string; source: string; options: string; seq: number },
) {
  await sql`
    insert into source_scan_results (scan_id, path, outcome, reason, entry_id)
    select ${scanId}, o.path, 'missing', null, o.entry_id from source_objects o
    where o.project = ${scan.project} and o.source = ${scan.source} and o.state = 'present'
      and o.seen_seq < ${scan.seq}
      and not exists (select 1 from source_scan_results r where r.scan_id = ${scanId} and r.path = o.path)`.execute(
    q,
  )
  if ((JSON.parse(scan.options) as ScanOptions).dryRun) return
  await sql`
    update source_objects set state = 'missing'
    where project = ${scan.project} and source = ${scan.source} and state = 'present'
      and path in (select path from source_scan_results where scan_id = ${scanId} and outcome = 'missing')`.execute(
    q,
  )
}

/** Deletes the per-object results and the tasks of the source's ended scans older than the latest KEEP_SCAN_RESULTS. */
async function pruneScans(q: Kysely<DatabaseSchema>, scan: { project: string; source: string; seq: number }) {
  const old = q
    .selectFrom('source_scans')
    .select('id')
    .where('project', '=', scan.project)
    .where('source', '=', scan.source)
    .where('seq', '<=', scan.seq - KEEP_SCAN_RESULTS)
    .where('state', '!=', 'running')
  await q.deleteFrom('source_scan_results').where('scan_id', 'in', old).execute()
  await q.deleteFrom('source_scan_tasks').where('job_id', 'in', old).execute()
}
