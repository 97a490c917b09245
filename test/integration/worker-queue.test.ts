import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Deps } from '../../src/deps.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { DIALECTS } from '../helpers/dialects.js'
import { openTestDeps } from '../helpers/server.js'

const ITEMS = 2_500

describe.each(DIALECTS)('import job queue (%s)', (dialect) => {
  let opened: Awaited<ReturnType<typeof openTestDeps>>
  let deps: Deps
  beforeAll(async () => {
    opened = await openTestDeps(dialect)
    deps = opened.deps
  })
  afterAll(async () => opened?.close())

  const queue = (count: number) =>
    deps.urlImports.queue(DEFAULT_PROJECT, 'images', {
      systemName: 'q',
      items: Array.from({ length: count }, (_, i) => ({ id: `i-${i}`, url: `http://example.test/${i}.png` })),
    })

  it('stores a job of 2,500 items (several insert chunks) and hands each item to exactly one of 4 concurrent claimers', async () => {
    const jobId = await queue(ITEMS)
    expect((await deps.importJobs.items(jobId)).map((i) => i.idx)).toEqual(
      Array.from({ length: ITEMS }, (_, i) => i),
    )
    const lease = new Date(Date.now() + 60_000)
    const claimed = new Map<number, string>()
    const duplicates: number[] = []
    await Promise.all(
      ['w1', 'w2', 'w3', 'w4'].map(async (worker) => {
        for (;;) {
          const items = await deps.importJobs.claim(worker, 37, new Date(), lease)
          if (items.length === 0) return
          for (const item of items) {
            if (item.jobId !== jobId) continue
            if (claimed.has(item.idx)) duplicates.push(item.idx)
            claimed.set(item.idx, worker)
            expect(item).toMatchObject({ state: 'running', attempts: 1 })
          }
        }
      }),
    )
    expect(duplicates).toEqual([])
    expect(claimed.size).toBe(ITEMS)
    // Nothing is left to claim while the leases hold.
    expect(await deps.importJobs.claim('w5', 10, new Date(), lease)).toEqual([])
  })

  it('claims an item again once its lease lapsed; the old holder can no longer record an outcome', async () => {
    const jobId = await queue(1)
    const now = Date.now()
    const [first] = (await deps.importJobs.claim('old', 10, new Date(now), new Date(now + 1_000))).filter(
      (i) => i.jobId === jobId,
    )
    expect(first).toBeDefined()
    expect(await deps.importJobs.claim('new', 10, new Date(now + 500), new Date(now + 10_000))).toEqual([])
    const [again] = (
      await deps.importJobs.claim('new', 10, new Date(now + 2_000), new Date(now + 10_000))
    ).filter((i) => i.jobId === jobId)
    expect(again).toMatchObject({ idx: 0, attempts: 2 })
    expect(await deps.importJobs.finish(first!, 'old', { state: 'success' }, new Date())).toBe(false)
    expect(await deps.importJobs.finish(again!, 'new', { state: 'failed', reason: 'x' }, new Date())).toBe(
      true,
    )
    expect(await deps.importJobs.finishJobIfDone(jobId, new Date())).toBe(true)
    expect(await deps.importJobs.finishJobIfDone(jobId, new Date())).toBe(false)
    expect((await deps.importJobs.getById(jobId))?.state).toBe('failed')
  })

  it('keeps a retried item back until its next attempt is due', async () => {
    const jobId = await queue(1)
    const now = Date.now()
    const [item] = (await deps.importJobs.claim('w', 10, new Date(now), new Date(now + 60_000))).filter(
      (i) => i.jobId === jobId,
    )
    const at = new Date(now + 5_000)
    expect(
      await deps.importJobs.finish(item!, 'w', { state: 'retry', reason: 'HTTP 503', at }, new Date(now)),
    ).toBe(true)
    expect(await deps.importJobs.claim('w', 10, new Date(now + 4_000), new Date(now + 60_000))).toEqual([])
    const [due] = await deps.importJobs.claim('w', 10, new Date(now + 5_000), new Date(now + 60_000))
    expect(due).toMatchObject({ jobId, idx: 0, attempts: 2, reason: 'HTTP 503' })
  })
})
