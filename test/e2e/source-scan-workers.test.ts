import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDeps, type Deps } from '../../src/deps.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { makeImage } from '../helpers/media-server.js'
import { databaseArgs, runCli, startWorkerProcess } from '../helpers/process.js'

/** Files of the source: enough batches that a kill lands while some are done and others in progress. */
const FILES = 120

/**
 * Scans run by `medialib worker` processes (issue #22): a worker killed with SIGKILL mid-scan and a new one
 * finish the scan with each object once; two workers on PostgreSQL split one scan without duplicates.
 */
describe.each(DIALECTS)('source scans run by worker processes (%s)', (dialect) => {
  let db: TestDatabase
  let deps: Deps
  let dir: string
  const children: ChildProcess[] = []

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    deps = await createDeps(db.config, { warn: () => undefined })
    await deps.projects.ensure(DEFAULT_PROJECT)
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-scan-workers-'))
    for (let i = 0; i < FILES; i++) {
      const rel = path.join(`folder-${i % 7}`, `sub-${i % 3}`, `img-${String(i).padStart(3, '0')}.png`)
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
      writeFileSync(path.join(dir, rel), await makeImage('png', 16 + i, 12))
    }
  })
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await deps?.close()
    await db?.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  const startWorker = (concurrency: number) => {
    const child = startWorkerProcess(db, { args: ['--concurrency', String(concurrency)] })
    children.push(child)
    return child
  }

  const tasks = async (scanId: string) => {
    const rows = await deps.database.db
      .selectFrom('source_scan_tasks')
      .select(['state', 'worker'])
      .where('job_id', '=', scanId)
      .execute()
    const states: Record<string, number> = {}
    for (const r of rows) states[r.state] = (states[r.state] ?? 0) + 1
    return { states, workers: new Set(rows.map((r) => r.worker)) }
  }

  const waitDone = async (handle: string, scanId: string) => {
    const deadline = Date.now() + 90_000
    for (;;) {
      const status = (await deps.sources.scanStatus(DEFAULT_PROJECT, handle, scanId))!
      if (status.state !== 'running') return status
      if (Date.now() > deadline) throw new Error(`scan not finished: ${JSON.stringify(status)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  /** The source's entries: each object's once, and nothing else. */
  const expectEachObjectOnce = async (handle: string) => {
    const page = await deps.library.search(DEFAULT_PROJECT, { systemName: handle, limit: 1000 })
    const externalIds = page.entries.map((e) => e.externalId)
    expect(externalIds).toHaveLength(FILES)
    expect(new Set(externalIds).size).toBe(FILES)
    const objects = await deps.database.db
      .selectFrom('source_objects')
      .select(['path', 'entry_id'])
      .where('source', '=', handle)
      .execute()
    expect(objects).toHaveLength(FILES)
    const ids = new Set(page.entries.map((e) => e.id))
    for (const o of objects) expect(ids.has(o.entry_id!)).toBe(true)
    for (const e of page.entries) {
      const i = Number(/img-(\d+)/.exec(String(e.externalId))![1])
      expect(e.asset.width).toBe(16 + i)
    }
  }

  it('a worker killed mid-scan: a new one finishes it, each object exactly once', async () => {
    await deps.sources.add(DEFAULT_PROJECT, 'killed', { kind: 'disk', dir })
    const scan = await deps.sources.startScan(DEFAULT_PROJECT, 'killed', { pageSize: 40, batchSize: 4 })
    const first = startWorker(2)
    const until = Date.now() + 30_000
    for (;;) {
      const { states } = await tasks(scan.id)
      const status = (await deps.sources.scanStatus(DEFAULT_PROJECT, 'killed', scan.id))!
      if (status.counts.created >= 12 && (states.running ?? 0) > 0) break
      if (Date.now() > until) throw new Error(`no progress: ${JSON.stringify(states)}`)
      await new Promise((r) => setTimeout(r, 10))
    }
    first.kill('SIGKILL')
    await once(first, 'exit')
    const atKill = await deps.sources.scanStatus(DEFAULT_PROJECT, 'killed', scan.id)
    expect(atKill!.state).toBe('running')
    expect(atKill!.counts.created).toBeLessThan(FILES)

    const second = startWorker(2)
    const done = await waitDone('killed', scan.id)
    second.kill('SIGTERM')
    await once(second, 'exit')
    expect(done.state).toBe('done')
    // Objects of the batches in progress at the kill were read again and their entries adopted, not made
    // twice: every object is reported once, as created.
    expect(done.counts).toEqual({ created: FILES, updated: 0, unchanged: 0, missing: 0, failed: 0 })
    await expectEachObjectOnce('killed')
    expect(Object.keys((await tasks(scan.id)).states)).toEqual(['done'])
  }, 90_000)

  it('medialib sources scan queues the scan and follows it while a worker runs it', async () => {
    const one = mkdtempSync(path.join(tmpdir(), 'medialib-scan-cli-'))
    const worker = startWorker(1)
    try {
      writeFileSync(path.join(one, 'one.png'), await makeImage('png', 7, 5))
      writeFileSync(path.join(one, 'note.txt'), 'not an image')
      await deps.sources.add(DEFAULT_PROJECT, 'followed', { kind: 'disk', dir: one })
      const run = await runCli([
        'sources',
        'scan',
        'followed',
        '--project',
        DEFAULT_PROJECT,
        ...databaseArgs(db),
      ])
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(/^scan [0-9a-f-]{36}$/m)
      expect(run.stdout).toMatch(/^created\s+1$/m)
      expect(run.stdout).toMatch(/^failed\s+note\.txt: not an image or a video/m)
      expect(run.stderr).toMatch(/^done: created 1, updated 0, unchanged 0, missing 0, failed 1$/m)
    } finally {
      worker.kill('SIGTERM')
      await once(worker, 'exit')
      rmSync(one, { recursive: true, force: true })
    }
  })

  it('fair across projects: a small scan of one project finishes while a big one of another is queued', async () => {
    await deps.projects.create('other')
    const small = mkdtempSync(path.join(tmpdir(), 'medialib-scan-small-'))
    try {
      writeFileSync(path.join(small, 'only.png'), await makeImage('png', 9, 9))
      await deps.sources.add(DEFAULT_PROJECT, 'big', { kind: 'disk', dir })
      await deps.sources.add('other', 'small', { kind: 'disk', dir: small })
      // The big scan is queued first and lists its pages before the small one is queued.
      const big = await deps.sources.startScan(DEFAULT_PROJECT, 'big', { pageSize: 200, batchSize: 1 })
      const worker = deps.createWorker({ concurrency: 1, pollMs: 20 })
      worker.start()
      try {
        for (const until = Date.now() + 20_000; ;) {
          if ((await deps.sources.scanStatus(DEFAULT_PROJECT, 'big', big.id))!.counts.created >= 3) break
          if (Date.now() > until) throw new Error('the big scan did not start')
          await new Promise((r) => setTimeout(r, 10))
        }
        const other = await deps.sources.startScan('other', 'small')
        for (const until = Date.now() + 20_000; ;) {
          const status = (await deps.sources.scanStatus('other', 'small', other.id))!
          if (status.state === 'done') break
          if (Date.now() > until) throw new Error(`the small scan did not finish: ${JSON.stringify(status)}`)
          await new Promise((r) => setTimeout(r, 10))
        }
        // Its two tasks (a page, a batch) took turns with the big scan's batches: most of those still wait.
        const bigNow = (await deps.sources.scanStatus(DEFAULT_PROJECT, 'big', big.id))!
        expect(bigNow.state).toBe('running')
        expect(bigNow.counts.created).toBeLessThan(FILES / 2)
      } finally {
        await worker.stop()
        // The rest of the big scan goes with its source (its tasks, its results).
        await deps.sources.remove(DEFAULT_PROJECT, 'big')
      }
    } finally {
      rmSync(small, { recursive: true, force: true })
    }
  })

  it.runIf(dialect === 'postgres')(
    'two workers scanning one source split the work without duplicates',
    async () => {
      await deps.sources.add(DEFAULT_PROJECT, 'shared', { kind: 'disk', dir })
      const a = startWorker(2)
      const b = startWorker(2)
      const scan = await deps.sources.startScan(DEFAULT_PROJECT, 'shared', { pageSize: 30, batchSize: 3 })
      const done = await waitDone('shared', scan.id)
      a.kill('SIGTERM')
      b.kill('SIGTERM')
      await Promise.all([once(a, 'exit'), once(b, 'exit')])
      expect(done.state).toBe('done')
      expect(done.counts).toEqual({ created: FILES, updated: 0, unchanged: 0, missing: 0, failed: 0 })
      await expectEachObjectOnce('shared')
      // Both workers took tasks of the scan.
      expect((await tasks(scan.id)).workers.size).toBe(2)
    },
  )
})
