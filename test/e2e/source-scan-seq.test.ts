import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KEEP_SCAN_RESULTS } from '../../src/db/source-scan.statements.js'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage } from '../helpers/media-server.js'
import { scanCounts } from '../helpers/scan-counts.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

/** A scan's counts: created, updated, missing, unchanged, failed. */
const counts = scanCounts

/**
 * Scans at scale (issue #22, migration 0015): unchanged objects are marked seen by the scan's number instead
 * of getting a result row each; vanished objects are the present ones a scan did not mark; counts are frozen
 * when a scan ends, and only the latest KEEP_SCAN_RESULTS scans of a source keep their per-object results.
 */
describe.each(DIALECTS)('source scans by number (%s)', (dialect) => {
  let server: TestServer
  const dirs: string[] = []
  const folder = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medialib-scan-seq-'))
    dirs.push(dir)
    return dir
  }
  const db = () => server.deps.database.db
  const scanRow = (id: string) =>
    db().selectFrom('source_scans').select(['seq', 'counts']).where('id', '=', id).executeTakeFirstOrThrow()
  const resultsOf = (id: string) =>
    db()
      .selectFrom('source_scan_results')
      .select(['path', 'outcome'])
      .where('scan_id', '=', id)
      .orderBy('path')
      .execute()
  const objectsOf = (source: string) =>
    db()
      .selectFrom('source_objects')
      .select(['path', 'state', 'seen_seq'])
      .where('project', '=', 'default')
      .where('source', '=', source)
      .orderBy('path')
      .execute()

  beforeAll(async () => {
    server = await startTestServer(dialect)
  })

  afterAll(async () => {
    await server?.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('marks unchanged objects seen by the scan number (no result row each) and finds the vanished ones by it', async () => {
    const { sources } = server.deps
    const dir = folder()
    for (const [name, w] of [
      ['a.png', 10],
      ['b.png', 11],
      ['c.png', 12],
    ] as const)
      writeFileSync(path.join(dir, name), await makeImage('png', w, 9))
    await sources.add('default', 'seen', { kind: 'disk', dir })

    const first = await sources.scan('default', 'seen')
    expect(first.counts).toEqual(counts(3, 0, 0, 0, 0))
    const seq1 = Number((await scanRow(first.id)).seq)
    expect(seq1).toBe(1)
    expect((await objectsOf('seen')).map((o) => [o.path, o.state, Number(o.seen_seq)])).toEqual([
      ['a.png', 'present', 1],
      ['b.png', 'present', 1],
      ['c.png', 'present', 1],
    ])

    // All unchanged: counted, marked seen by scan 2, and not one result row.
    const second = await sources.scan('default', 'seen')
    expect(second.counts).toEqual(counts(0, 0, 0, 3, 0))
    expect(Number((await scanRow(second.id)).seq)).toBe(2)
    expect(await resultsOf(second.id)).toEqual([])
    expect((await objectsOf('seen')).map((o) => Number(o.seen_seq))).toEqual([2, 2, 2])
    // Its counts were frozen when it ended.
    expect(JSON.parse((await scanRow(second.id)).counts!)).toEqual(counts(0, 0, 0, 3, 0))

    unlinkSync(path.join(dir, 'b.png'))
    // A dry run reports the vanished object but marks nothing.
    const dry = await sources.scan('default', 'seen', { dryRun: true })
    expect(dry.counts).toEqual(counts(0, 0, 1, 2, 0))
    expect((await objectsOf('seen')).find((o) => o.path === 'b.png')?.state).toBe('present')

    const third = await sources.scan('default', 'seen')
    expect(third.counts).toEqual(counts(0, 0, 1, 2, 0))
    expect(await resultsOf(third.id)).toEqual([{ path: 'b.png', outcome: 'missing' }])
    const seq3 = Number((await scanRow(third.id)).seq)
    expect(seq3).toBe(4)
    expect((await objectsOf('seen')).map((o) => [o.path, o.state, Number(o.seen_seq)])).toEqual([
      ['a.png', 'present', seq3],
      ['b.png', 'missing', 2],
      ['c.png', 'present', seq3],
    ])

    // Already missing: not counted again.
    expect((await sources.scan('default', 'seen')).counts).toEqual(counts(0, 0, 0, 2, 0))

    // Back again: read and re-probed, its entry's asset replaced.
    writeFileSync(path.join(dir, 'b.png'), await makeImage('png', 30, 20))
    const back = await sources.scan('default', 'seen')
    expect(back.counts).toEqual(counts(0, 1, 0, 2, 0))
    expect(await resultsOf(back.id)).toEqual([{ path: 'b.png', outcome: 'updated' }])
    expect((await objectsOf('seen')).every((o) => o.state === 'present')).toBe(true)
  })

  it(`keeps the per-object results of the latest ${KEEP_SCAN_RESULTS} scans of a source; older scans keep their counts`, async () => {
    const { sources } = server.deps
    const dir = folder()
    writeFileSync(path.join(dir, 'x.png'), await makeImage('png', 8, 8))
    await sources.add('default', 'pruned', { kind: 'disk', dir })
    // Dry runs: each reports the never-recorded object as created, one result row each.
    const ids: string[] = []
    for (let i = 0; i < KEEP_SCAN_RESULTS + 2; i++) {
      const scan = await sources.scan('default', 'pruned', { dryRun: true })
      expect(scan.counts).toEqual(counts(1, 0, 0, 0, 0))
      ids.push(scan.id)
    }
    const withResults = await db()
      .selectFrom('source_scan_results')
      .select('scan_id')
      .distinct()
      .where('scan_id', 'in', ids)
      .execute()
    expect(new Set(withResults.map((r) => r.scan_id))).toEqual(new Set(ids.slice(2)))
    const withTasks = await db()
      .selectFrom('source_scan_tasks')
      .select('job_id')
      .distinct()
      .where('job_id', 'in', ids)
      .execute()
    expect(new Set(withTasks.map((r) => r.job_id))).toEqual(new Set(ids.slice(2)))

    // The pruned scans keep their state and counts (frozen), in the service and the API.
    const oldest = await sources.scanStatus('default', 'pruned', ids[0]!)
    expect(oldest).toMatchObject({ state: 'done', counts: counts(1, 0, 0, 0, 0), failures: [] })
    const listed = await sources.scans('default', 'pruned')
    expect(listed).toHaveLength(KEEP_SCAN_RESULTS + 2)
    expect(listed.every((s) => s.counts.created === 1)).toBe(true)
    const res = await server.fetch(`/api/v1/mediaLibrary/sources/pruned/scans/${ids[0]}`, {
      headers: { authorization: `Bearer ${server.token}` },
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { counts: unknown }).counts).toEqual(counts(1, 0, 0, 0, 0))

    // Another source's scans are not pruned by this one's (its dry run and its third scan reported b.png).
    const other = await db()
      .selectFrom('source_scans as s')
      .innerJoin('source_scan_results as r', 'r.scan_id', 's.id')
      .select('r.path')
      .where('s.source', '=', 'seen')
      .where('r.outcome', '=', 'missing')
      .execute()
    expect(other.map((r) => r.path)).toEqual(['b.png', 'b.png'])
  })
})
