import { CompiledQuery, type KyselyPlugin } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claimInOneStatement, pickFairly } from '../../src/db/import-item-claim.js'
import type { Deps } from '../../src/deps.js'
import { DIALECTS } from '../helpers/dialects.js'
import { recordingDatabase } from '../helpers/recording.js'
import { openTestDeps } from '../helpers/server.js'
import { fullScans, planOf } from '../e2e/media-library-explain.js'

/** The fair claim's order (round-robin across projects, then jobs) and its plans (index-backed). */
describe.each(DIALECTS)('fair claims (%s)', (dialect) => {
  let opened: Awaited<ReturnType<typeof openTestDeps>>
  let deps: Deps
  beforeAll(async () => {
    opened = await openTestDeps(dialect)
    deps = opened.deps
    for (const project of ['pa', 'pb', 'pc']) await deps.projects.create(project)
  })
  afterAll(async () => opened?.close())

  const queue = (project: string, name: string, count: number) =>
    deps.urlImports.queue(project, 'images', {
      systemName: name,
      items: Array.from({ length: count }, (_, i) => ({
        id: `${name}-${i}`,
        url: `http://example.test/${i}.png`,
      })),
    })

  it('claims round-robin across projects, then across jobs by item index, under the per-project cap', async () => {
    const big = await queue('pa', 'big', 50)
    await queue('pa', 'small', 2)
    await queue('pb', 'b', 3)
    await queue('pc', 'c', 1)
    const lease = new Date(Date.now() + 60_000)
    const first = await deps.importJobs.claim('w', 6, new Date(), lease, { maxInFlightPerProject: 0 })
    // One per project per round: pa, pb, pc, then pa, pb (pc has no more), then pa.
    expect(first.map((i) => i.project)).toEqual(['pa', 'pb', 'pc', 'pa', 'pb', 'pa'])
    // Within pa: every job's item 0 before any job's item 1.
    const pa = first.filter((i) => i.project === 'pa').map((i) => [i.jobId === big ? 'big' : 'small', i.idx])
    expect(pa.slice(0, 2).every(([, idx]) => idx === 0)).toBe(true)
    expect(new Set(pa.slice(0, 2).map(([job]) => job))).toEqual(new Set(['big', 'small']))
    expect(pa[2]![1]).toBe(1)

    // Cap 3: pa already runs 3, so only the other projects' items are claimed.
    const capped = await deps.importJobs.claim('w', 10, new Date(), lease, { maxInFlightPerProject: 3 })
    expect(capped.map((i) => i.project)).toEqual(['pb'])
  })

  it('uses indexes only: no statement of a claim reads a whole table', async () => {
    await queue('pc', 'plan', 5)
    const { db } = deps.database
    const captured: CompiledQuery[] = []
    const plugin: KyselyPlugin = {
      transformQuery(args) {
        captured.push(db.getExecutor().compileQuery(args.node, args.queryId))
        return args.node
      },
      transformResult: async (args) => args.result,
    }
    await pickFairly(db.withPlugin(plugin), deps.database.caps, 8, new Date(), {
      maxInFlightPerProject: 4,
    })
    // Expired leases, the projects with queued items, running counts, and each project's next items.
    expect(captured.length).toBeGreaterThanOrEqual(4)
    expect(captured.some((q) => q.sql.includes('"project" = '))).toBe(true)
    for (const query of captured) {
      const plan = await planOf(
        deps.database,
        CompiledQuery.raw(query.sql.replace(/ for update skip locked$/i, ''), [...query.parameters]),
      )
      // The recursive CTE's own working table (`p`) is not a table of ours.
      expect(
        fullScans(plan).filter((line) => !/SCAN p\b/.test(line) && !/CTE Scan|WorkTable Scan/.test(line)),
        `${query.sql}\n${plan.join('\n')}`,
      ).toEqual([])
    }
  })

  it('takes lapsed leases first, then continues the round-robin after the last project served', async () => {
    const lease = new Date(Date.now() + 60_000)
    // Drain what earlier tests left, so this one sees only its own items.
    while ((await deps.importJobs.claim('drain', 100, new Date(), lease)).length > 0);
    // An item whose worker died (its lease lapsed), then three projects' queued items.
    const lapsedJob = await queue('pc', 'rr-lapsed', 1)
    expect(await deps.importJobs.claim('dead', 1, new Date(), new Date(Date.now() - 1_000))).toHaveLength(1)
    await queue('pa', 'rr-a', 3)
    await queue('pb', 'rr-b', 3)
    await queue('pc', 'rr-c', 3)
    const got = await deps.importJobs.claim('w', 5, new Date(), lease, {
      afterProject: 'pa',
      maxInFlightPerProject: 0,
    })
    expect(got[0]!.jobId).toBe(lapsedJob)
    expect(got.slice(1).map((i) => [i.project, i.idx])).toEqual([
      ['pb', 0],
      ['pc', 0],
      ['pa', 0],
      ['pb', 1],
    ])
    expect(got.every((i) => i.attempts >= 1)).toBe(true)
  })

  it.runIf(dialect === 'postgres')(
    'PostgreSQL: concurrent one-statement claims never take the same item, and use indexes only',
    async () => {
      const lease = new Date(Date.now() + 60_000)
      while ((await deps.importJobs.claim('drain', 100, new Date(), lease)).length > 0);
      await queue('pa', 'race-a', 12)
      await queue('pb', 'race-b', 12)
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, w) => deps.importJobs.claim(`r${w}`, 5, new Date(), lease)),
      )
      const keys = claims.flat().map((i) => `${i.jobId}/${i.idx}`)
      expect(new Set(keys).size).toBe(keys.length)
      // Whatever one claim skipped (locked by another) a later claim takes: nothing is left behind.
      const rest = await deps.importJobs.claim('r-last', 100, new Date(), lease)
      expect(keys.length + rest.length).toBe(24)

      const rec = recordingDatabase(deps.database)
      await queue('pa', 'plan-one', 2)
      await claimInOneStatement(
        rec.database.db,
        deps.database.caps,
        'import_items',
        4,
        new Date(),
        'pa',
        'p',
        lease,
      )
      expect(rec.captured).toHaveLength(1)
      const plan = await planOf(
        deps.database,
        CompiledQuery.raw(rec.captured[0]!.sql, [...rec.captured[0]!.parameters]),
      )
      expect(
        fullScans(plan).filter((line) => !/CTE Scan|WorkTable Scan/.test(line)),
        plan.join('\n'),
      ).toEqual([])
    },
  )
})
