import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Worker } from '../../src/jobs/worker.js'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage, startMediaServer, urlImportConfig, type MediaServer } from '../helpers/media-server.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

/** How long the slow route takes to answer: far longer than a fast item. */
const SLOW_MS = 3_000
const CAP = 2

/**
 * Fair URL-import queues (#13, finding 4): a project with 1,000 slow items queued does not hold up another
 * project's job, and a later small job of the same project does not wait behind the big one.
 */
describe.each(DIALECTS)('fair URL-import queues (%s)', (dialect) => {
  let server: TestServer
  let media: MediaServer
  let worker: Worker
  const tokens: Record<string, string> = {}

  beforeAll(async () => {
    media = await startMediaServer()
    const png = await makeImage('png', 8, 8)
    media.routes.set('/slow.png', { body: png, type: 'image/png', delayMs: SLOW_MS })
    media.routes.set('/fast.png', { body: png, type: 'image/png' })
    const base = urlImportConfig({ totalTimeoutMs: 30_000 })
    server = await startTestServer(dialect, {
      ...base,
      jobs: { ...base.jobs!, workerConcurrency: 4, maxInFlightPerProject: CAP, pollMs: 20 },
    })
    for (const project of ['alpha', 'beta']) {
      tokens[project] = await server.createToken(project, ['public-api:read', 'public-api:write'])
    }
    worker = server.deps.createWorker()
    worker.start()
  })
  afterAll(async () => {
    await worker?.stop()
    await server?.close()
    await media?.close()
  })

  const queue = async (project: string, path: string, count: number) => {
    const res = await request(server, 'POST', '/api/v1/import/images', {
      token: tokens[project],
      body: {
        systemName: `fair-${path.slice(1, 5)}-${count}`,
        images: Array.from({ length: count }, (_, i) => ({ id: `${project}-${i}`, url: media.url(path) })),
      },
    })
    expect(res.status).toBe(200)
    return (res.body as { id: string }).id
  }
  const status = async (project: string, id: string) =>
    (await request(server, 'GET', `/api/v1/import/images/status?id=${id}`, { token: tokens[project] }))
      .body as { finished: boolean; images: { state: string }[] }
  /** Milliseconds from now until the job is finished. */
  const timeToFinish = async (project: string, id: string, since: number) => {
    for (;;) {
      if ((await status(project, id)).finished) return Date.now() - since
      if (Date.now() - since > 60_000) throw new Error(`job ${id} of ${project} did not finish`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  it('a 1-item job of project alpha finishes within a second while beta has 1,000 slow items queued', async () => {
    const big = await queue('beta', '/slow.png', 1_000)
    // Let beta's items fill what the cap allows.
    const until = Date.now() + 5_000
    while ((media.hits.get('/slow.png') ?? 0) < CAP && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20))
    expect(media.hits.get('/slow.png')).toBe(CAP)

    const started = Date.now()
    const small = await queue('alpha', '/fast.png', 1)
    const ms = await timeToFinish('alpha', small, started)
    // The fast fetch takes a few milliseconds; the rest is claiming, probing, storing and the poll above.
    expect(ms).toBeLessThan(1_000)
    expect((await status('alpha', small)).images.map((i) => i.state)).toEqual(['success'])
    // Beta never had more than its cap in flight.
    expect(media.hits.get('/slow.png')).toBeLessThanOrEqual(CAP)

    // A later 1-item job of beta takes the next free beta slot, ahead of the big job's remaining items.
    const startedLater = Date.now()
    const later = await queue('beta', '/fast.png', 1)
    const laterMs = await timeToFinish('beta', later, startedLater)
    expect(laterMs).toBeLessThan(SLOW_MS + 1_000)
    // …which a first-in first-out queue would only reach after the big job's 998 other slow items.
    expect((await status('beta', big)).finished).toBe(false)
  })
})
