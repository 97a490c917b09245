import { sql, type Kysely } from 'kysely'
import type { Database } from './database.js'
import type { DatabaseSchema } from './schema.js'

/** How a claim shares the workers between projects. */
export interface ClaimFairness {
  /** The project the previous claim of this worker ended with: the round-robin starts after it. */
  afterProject?: string
  /** Items of one project running at once over all workers; 0 for no cap. */
  maxInFlightPerProject: number
}

type ItemRef = { job_id: string; idx: number }

/** The tables claimed this way: URL-import items and source-scan tasks (issue #22). */
export type ClaimQueue = 'import_items' | 'source_scan_tasks'

/**
 * Picks the items a claim takes, fairly: first items whose lease expired (their worker died), then
 * round-robin across the projects that have queued items (starting after `afterProject`), one item per
 * project per round, and within a project by item index and job, so every job's first items come before
 * any job's later ones. Each project stays under its in-flight cap. Index-backed (`import_items_fair`):
 * the projects with queued items come from a skip scan, each project's next items from one seek.
 */
export async function pickFairly(
  db: Kysely<DatabaseSchema>,
  caps: Database['caps'],
  limit: number,
  now: Date,
  fairness: ClaimFairness,
  queue: ClaimQueue = 'import_items',
): Promise<ItemRef[]> {
  const t = caps.toTime(now)
  // Both queues have the claim columns this reads (job_id, idx, project, state, next_attempt_at,
  // lease_until), so the typed builder of one serves the other.
  const table = queue as 'import_items'
  const tableRef = sql.table(queue)
  const locking = caps.name === 'postgres'
  const picked: ItemRef[] = await db
    .selectFrom(table)
    .select(['job_id', 'idx'])
    .where('state', '=', 'running')
    .where('lease_until', '<', t)
    .orderBy('lease_until')
    .limit(limit)
    .$if(locking, (q) => q.forUpdate().skipLocked())
    .execute()
  if (picked.length >= limit) return picked

  const projects = (
    await sql<{ project: string }>`
      with recursive p(project) as (
        select (select min(project) from ${tableRef} where state = 'queued')
        union all
        select (select min(i.project) from ${tableRef} i where i.state = 'queued' and i.project > p.project)
        from p where p.project is not null
      )
      select project from p where project is not null`.execute(db)
  ).rows.map((r) => r.project)
  const after = fairness.afterProject
  const order =
    after === undefined
      ? projects
      : [...projects.filter((p) => p > after), ...projects.filter((p) => p <= after)]

  const allowance = new Map<string, number>(order.map((p) => [p, limit]))
  if (fairness.maxInFlightPerProject > 0) {
    const running = await db
      .selectFrom(table)
      .select(['project', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', '=', 'running')
      .where('lease_until', '>=', t)
      .groupBy('project')
      .execute()
    const counts = new Map(running.map((r) => [r.project, Number(r.n)]))
    for (const p of order)
      allowance.set(p, Math.max(0, fairness.maxInFlightPerProject - (counts.get(p) ?? 0)))
  }

  const queues = new Map<string, ItemRef[]>()
  let active = order.filter((p) => (allowance.get(p) ?? 0) > 0)
  while (picked.length < limit && active.length > 0) {
    const again: string[] = []
    for (const project of active) {
      if (picked.length >= limit) break
      let queue = queues.get(project)
      if (!queue) {
        queue = await db
          .selectFrom(table)
          .select(['job_id', 'idx'])
          .where('state', '=', 'queued')
          .where('project', '=', project)
          .where('next_attempt_at', '<=', t)
          .orderBy('idx')
          .orderBy('job_id')
          .limit(Math.min(limit - picked.length, allowance.get(project) ?? 0))
          .$if(locking, (q) => q.forUpdate().skipLocked())
          .execute()
        queues.set(project, queue)
      }
      const item = queue.shift()
      if (!item) continue
      picked.push(item)
      const left = (allowance.get(project) ?? 0) - 1
      allowance.set(project, left)
      if (left > 0 && queue.length > 0) again.push(project)
    }
    active = again
  }
  return picked
}

/**
 * Marks picked items (or tasks) running under `worker` until `leaseUntil` and counts the attempt, unless
 * another claim took them between the pick and this update (they are no longer due); returns the rows taken.
 */
export async function markClaimed(
  db: Kysely<DatabaseSchema>,
  caps: Database['caps'],
  queue: ClaimQueue,
  picked: readonly ItemRef[],
  worker: string,
  now: Date,
  leaseUntil: Date,
) {
  const t = caps.toTime(now)
  return db
    .updateTable(queue as 'import_items')
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
    .execute() as Promise<Record<string, unknown>[]>
}

/**
 * PostgreSQL, no per-project cap: `pickFairly` and `markClaimed` in one statement, so a claim is one round trip
 * instead of six (begin, the lapsed leases, the projects, each project's next items, the update, commit).
 * The same order: lapsed leases first (oldest first), then round-robin across the projects with queued items
 * (starting after `afterProject`), one item per project per round, within a project by item index and job.
 * Each project's next items come from one seek each (a `LATERAL` subquery per project of the skip scan), locked
 * `FOR UPDATE SKIP LOCKED` for the statement, so concurrent claims take different items; the update's own
 * conditions are those of `markClaimed`. Returns the rows taken, in the order picked.
 */
export async function claimInOneStatement(
  db: Kysely<DatabaseSchema>,
  caps: Database['caps'],
  queue: ClaimQueue,
  limit: number,
  now: Date,
  afterProject: string | undefined,
  worker: string,
  leaseUntil: Date,
): Promise<Record<string, unknown>[]> {
  const t = caps.toTime(now)
  const table = sql.table(queue)
  const n = sql`${limit}::int`
  const after = sql`${afterProject ?? null}::text`
  const { rows } = await sql<Record<string, unknown> & { claim_ord: string | number }>`
    with recursive p(project) as (
      select (select min(project) from ${table} where state = 'queued')
      union all
      select (select min(i.project) from ${table} i where i.state = 'queued' and i.project > p.project)
      from p where p.project is not null
    ),
    lapsed as (
      select job_id, idx, lease_until from ${table}
      where state = 'running' and lease_until < ${t}
      order by lease_until limit ${n}
      for update skip locked
    ),
    queued as (
      select q.job_id, q.idx, q.project,
        row_number() over (partition by q.project order by q.idx, q.job_id) as rn
      from p cross join lateral (
        select i.job_id, i.idx, i.project from ${table} i
        where i.state = 'queued' and i.project = p.project and i.next_attempt_at <= ${t}
        order by i.idx, i.job_id limit ${n}
        for update skip locked
      ) q
      where p.project is not null
    ),
    picked as (
      select job_id, idx, row_number() over (order by lease_until) as ord from lapsed
      union all
      select job_id, idx, (select count(*) from lapsed)
        + row_number() over (order by rn, coalesce(project <= ${after}, false), project) as ord
      from (
        select * from queued
        order by rn, coalesce(project <= ${after}, false), project
        limit greatest(0, ${n} - (select count(*) from lapsed))
      ) s
    )
    update ${table} as c set
      state = 'running',
      worker = ${worker},
      lease_until = ${caps.toTime(leaseUntil)},
      attempts = c.attempts + 1,
      updated_at = ${t}
    from picked
    where c.job_id = picked.job_id and c.idx = picked.idx
      and ((c.state = 'queued' and c.next_attempt_at <= ${t}) or (c.state = 'running' and c.lease_until < ${t}))
    returning c.*, picked.ord as claim_ord`.execute(db)
  return rows.sort((a, b) => Number(a.claim_ord) - Number(b.claim_ord))
}

/**
 * PostgreSQL: whether a claim of `queue` could take anything: an item queued (due or not, as the projects'
 * skip scan in `pickFairly` reads it) or one whose lease lapsed. One statement outside a transaction, both
 * answered from an index that leads with `state`.
 */
async function anythingToClaim(
  db: Kysely<DatabaseSchema>,
  caps: Database['caps'],
  now: Date,
  queue: ClaimQueue,
) {
  const table = sql.table(queue)
  const { rows } = await sql<{ due: boolean }>`select (
      exists (select 1 from ${table} where state = 'queued')
      or exists (select 1 from ${table} where state = 'running' and lease_until < ${caps.toTime(now)})
    ) as due`.execute(db)
  return rows[0]?.due === true
}

/**
 * A queue's claims as one repository makes them. On PostgreSQL a claim is one statement
 * (`claimInOneStatement`, URL-import items without a per-project cap) or a transaction (its picks stay locked
 * until marked: begin, three or four statements, commit), each statement a round trip to the backend, even
 * when the queue is empty (an idle worker's every poll; the scan-task queue on every claim round of a URL import).
 * After a claim that took nothing, the next one first asks `anythingToClaim`, and stops there while the
 * answer is no. The question is wider than any claim (an item queued for later, a project at its cap), so it
 * never hides an item a claim would take. SQLite claims without a transaction: nothing to save there.
 */
export function claimGate(db: Kysely<DatabaseSchema>, caps: Database['caps'], queue: ClaimQueue) {
  let tookNothing = false
  return async <T>(now: Date, claim: () => Promise<T[]>): Promise<T[]> => {
    if (caps.name !== 'postgres') return claim()
    if (tookNothing && !(await anythingToClaim(db, caps, now, queue))) return []
    const claimed = await claim()
    tookNothing = claimed.length === 0
    return claimed
  }
}
