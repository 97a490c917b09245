// The statements of a scan's life that run inside a caller's transaction: starting a scan, saving its results,
// ending it (missing objects, frozen counts, pruning). Split from source-scan.repository.ts; the repository and a
// source's schedule (source-schedule.repository.ts) call them.
import { sql, type Kysely } from 'kysely'
import type { Database } from './database.js'
import type { DatabaseSchema } from './schema.js'
import type { ObjectOutcome, ObjectResult, ScanOptions } from './source-scan.types.js'

const OUTCOMES: ObjectOutcome[] = ['created', 'updated', 'unchanged', 'missing', 'failed']
/** Rows per statement of a scan's bulk writes. */
export const ROWS = 500
/** Per source, the scans whose per-object results (and tasks) are kept; older ones keep their counts only. */
export const KEEP_SCAN_RESULTS = 10

export const taskRow = (
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
export async function saveResults(
  db: Kysely<DatabaseSchema>,
  scanId: string,
  results: readonly ObjectResult[],
) {
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
export async function liveCounts(
  q: Kysely<DatabaseSchema>,
  scanId: string,
): Promise<Record<ObjectOutcome, number>> {
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

/**
 * Ends a scan whose tasks are all settled, inside the caller's transaction: `done` (its unseen objects reported
 * missing) or `failed` (a task failed for good), the counts frozen, older scans' results pruned and its
 * metadata file's rows deleted. False when a task is still open or another worker ended it first.
 */
export async function finishScan(
  trx: Kysely<DatabaseSchema>,
  caps: Database['caps'],
  scanId: string,
  now: Date,
): Promise<boolean> {
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
}
