import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDeps, type Deps } from '../../src/deps.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { makeImage, startMediaServer, type MediaServer } from '../helpers/media-server.js'
import { startWorkerProcess } from '../helpers/process.js'

const ITEMS = 40

describe.each(DIALECTS)('a URL-import worker killed mid-job (%s)', (dialect) => {
  let db: TestDatabase
  let deps: Deps
  let media: MediaServer
  const children: ChildProcess[] = []

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    deps = await createDeps(db.config, { warn: () => undefined })
    await deps.projects.ensure(DEFAULT_PROJECT)
    media = await startMediaServer()
    for (let i = 0; i < ITEMS; i++) {
      // Each download takes a while, so the kill lands while items are in progress.
      media.routes.set(`/img/${i}.png`, {
        body: await makeImage('png', 8 + i, 8),
        type: 'image/png',
        delayMs: 120,
      })
    }
  })
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await deps?.close()
    await db?.drop()
    await media?.close()
  })

  const startWorker = () => {
    const child = startWorkerProcess(db, {
      args: ['--concurrency', '4'],
      env: { MEDIALIB_FETCH_ALLOW_CIDRS: '127.0.0.1/32' },
    })
    children.push(child)
    return child
  }

  const states = async (jobId: string) => {
    const counts: Record<string, number> = {}
    for (const item of await deps.importJobs.items(jobId)) counts[item.state] = (counts[item.state] ?? 0) + 1
    return counts
  }

  it('completes the job after a restart with each item exactly once and no orphaned blob', async () => {
    const jobId = await deps.urlImports.queue(DEFAULT_PROJECT, 'images', {
      systemName: 'archive',
      items: Array.from({ length: ITEMS }, (_, i) => ({
        id: `img-${i}`,
        url: media.url(`/img/${i}.png`),
        fileName: `Image ${i}`,
      })),
    })

    const first = startWorker()
    const until = Date.now() + 30_000
    let before: Record<string, number> = {}
    for (;;) {
      before = await states(jobId)
      if ((before.success ?? 0) >= 8 && (before.running ?? 0) > 0) break
      if (Date.now() > until) throw new Error(`no progress: ${JSON.stringify(before)}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    first.kill('SIGKILL')
    await once(first, 'exit')
    const atKill = await states(jobId)
    expect(atKill.running ?? 0).toBeGreaterThan(0)
    expect(atKill.success ?? 0).toBeLessThan(ITEMS)

    const second = startWorker()
    const deadline = Date.now() + 60_000
    let job = await deps.importJobs.getById(jobId)
    while (job?.state === 'started') {
      if (Date.now() > deadline) throw new Error(`job not finished: ${JSON.stringify(await states(jobId))}`)
      await new Promise((r) => setTimeout(r, 50))
      job = await deps.importJobs.getById(jobId)
    }
    second.kill('SIGTERM')
    await once(second, 'exit')

    expect(job?.state).toBe('success')
    expect(await states(jobId)).toEqual({ success: ITEMS })
    const items = await deps.importJobs.items(jobId)
    const externalIds = items.map((i) => i.externalId)
    const entries = await deps.library.listByExternalIds(DEFAULT_PROJECT, 'archive', externalIds)
    expect(entries).toHaveLength(ITEMS)
    const page = await deps.library.search(DEFAULT_PROJECT, { systemName: 'archive', limit: 1000 })
    expect(page.entries).toHaveLength(ITEMS)
    // Each item's result names its entry, and each entry holds the right image.
    for (const item of items) {
      const entry = entries.find((e) => e.externalId === item.externalId)!
      expect((item.result as { image: { mediaId: string } }).image.mediaId).toBe(entry.id)
      expect(entry.asset.width).toBe(8 + Number(item.externalId.slice(4)))
      expect(entry.version).toBe(1)
    }
    // Every blob belongs to an entry: nothing a killed attempt wrote was left behind.
    const keys = await deps.blobs.files('default').list('')
    expect(keys.sort()).toEqual(entries.map((e) => e.asset.key).sort())
  })
})
