import { describe, expect, it } from 'vitest'
import { createJobQueueRepository } from '../../src/db/job-queue.repository.js'
import { createWebhookOutboxRepository } from '../../src/db/webhook-outbox.repository.js'
import type { ImportItem } from '../../src/jobs/import-job.js'
import { createWorker, type WorkerOptions } from '../../src/jobs/worker.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { DIALECTS } from '../helpers/dialects.js'
import { inertFetcher, useTestDeps } from '../helpers/server.js'

/**
 * A URL-import worker of concurrency below 8 claims one item ahead of its free slots (its prefetch): when an
 * item ends, the next one starts at once instead of after the next claim's round trip. Prefetched items are held under the
 * worker's lease; at stop, those never started go back to the queue with their attempt uncounted.
 */
describe.each(DIALECTS)('URL-import worker prefetch (%s)', (dialect) => {
  const services = useTestDeps(dialect)

  const queueJob = (name: string, count: number) =>
    services().urlImports.queue(DEFAULT_PROJECT, 'images', {
      systemName: name,
      items: Array.from({ length: count }, (_, i) => ({
        id: `${name}-${i}`,
        url: `http://example.test/${i}.png`,
      })),
    })

  /** A worker of concurrency 1 whose items each wait until the test lets them end; `events` says what ran. */
  const gatedWorker = () => {
    const events: string[] = []
    const gates = new Map<number, () => void>()
    const started = new Set<number>()
    const base = createJobQueueRepository(services().database)
    const options: WorkerOptions = {
      queue: {
        ...base,
        claim: async (...args) => {
          const claimed = await base.claim(...args)
          if (claimed.length > 0) events.push(`claim:${claimed.map((i) => i.idx).join(',')}`)
          return claimed
        },
      },
      jobs: services().importJobs,
      outbox: createWebhookOutboxRepository(services().database),
      process: async (_job, item: ImportItem) => {
        events.push(`start:${item.idx}`)
        started.add(item.idx)
        await new Promise<void>((resolve) => gates.set(item.idx, resolve))
        events.push(`end:${item.idx}`)
        return { state: 'success' }
      },
      fetcher: inertFetcher,
      concurrency: 1,
      leaseMs: 60_000,
      pollMs: 20,
      retryBaseMs: 1_000,
      logger: { info: () => undefined, error: (o, m) => console.error(m, o) },
    }
    const worker = createWorker(options)
    const endItem = async (idx: number) => {
      await expect.poll(() => gates.has(idx), { timeout: 10_000 }).toBe(true)
      gates.get(idx)!()
    }
    return { worker, events, started, endItem }
  }

  const itemsOf = async (jobId: string) =>
    (await services().importJobs.items(jobId)).map((i) => ({
      idx: i.idx,
      state: i.state,
      attempts: i.attempts,
    }))

  it('starts the next item when one ends, without a claim in between', async () => {
    const jobId = await queueJob('prefetch-next', 4)
    const { worker, events, endItem } = gatedWorker()
    worker.start()
    try {
      await expect.poll(() => events.includes('start:0'), { timeout: 10_000 }).toBe(true)
      // Concurrency 1 and a prefetch of 1: item 1 is claimed (held under this worker's lease), not started.
      expect(events[0]).toBe('claim:0,1')
      expect((await itemsOf(jobId)).slice(0, 3)).toEqual([
        { idx: 0, state: 'running', attempts: 1 },
        { idx: 1, state: 'running', attempts: 1 },
        { idx: 2, state: 'queued', attempts: 0 },
      ])
      const claimed = (idx: number) =>
        events.some((e) => e.startsWith('claim:') && e.slice(6).split(',').includes(String(idx)))
      for (const idx of [0, 1, 2, 3]) {
        // The refill claim runs beside the item (on a busy machine it can take longer than the item): the item
        // ends once the next one is claimed, which is what the order below is about.
        if (idx < 3) await expect.poll(() => claimed(idx + 1), { timeout: 10_000 }).toBe(true)
        await endItem(idx)
      }
      await worker.idle()
    } finally {
      await worker.stop()
    }
    // Each item after the first starts right after the one before ends: the refill claim comes after it.
    for (const idx of [1, 2, 3]) {
      const end = events.indexOf(`end:${idx - 1}`)
      expect(events.indexOf(`start:${idx}`), events.join(' ')).toBe(end + 1)
    }
    expect(await itemsOf(jobId)).toEqual([0, 1, 2, 3].map((idx) => ({ idx, state: 'success', attempts: 1 })))
    expect((await services().importJobs.getById(jobId))?.state).toBe('success')
  })

  it('gives a prefetched item back at stop, its attempt uncounted, and another worker finishes it', async () => {
    const jobId = await queueJob('prefetch-stop', 3)
    const first = gatedWorker()
    first.worker.start()
    await expect.poll(() => first.events.includes('start:0'), { timeout: 10_000 }).toBe(true)
    // Stop while item 0 runs: item 1 (prefetched) goes back at once; item 0 is finished before stop resolves.
    const stopped = first.worker.stop()
    await first.endItem(0)
    await stopped
    expect([...first.started]).toEqual([0])
    expect(await itemsOf(jobId)).toEqual([
      { idx: 0, state: 'success', attempts: 1 },
      { idx: 1, state: 'queued', attempts: 0 },
      { idx: 2, state: 'queued', attempts: 0 },
    ])

    const second = gatedWorker()
    second.worker.start()
    try {
      for (const idx of [1, 2]) await second.endItem(idx)
      await expect
        .poll(async () => (await services().importJobs.getById(jobId))?.state, { timeout: 10_000 })
        .toBe('success')
    } finally {
      await second.worker.stop()
    }
    expect(await itemsOf(jobId)).toEqual([0, 1, 2].map((idx) => ({ idx, state: 'success', attempts: 1 })))
  })
})
