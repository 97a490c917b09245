import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DELIVERY_ID_HEADER } from '../../src/jobs/webhook.js'
import type { Worker } from '../../src/jobs/worker.js'
import { DIALECTS } from '../helpers/dialects.js'
import {
  makeImage,
  startMediaServer,
  urlImportConfig,
  waitForJob,
  type MediaServer,
} from '../helpers/media-server.js'
import { startReceiver, until } from '../helpers/receiver.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

/** Webhooks off the item path (#13, findings 4 and 5). */
describe.each(DIALECTS)('webhook delivery (%s)', (dialect) => {
  let media: MediaServer
  beforeAll(async () => {
    media = await startMediaServer()
    media.routes.set('/p.png', { body: await makeImage('png', 8, 8), type: 'image/png' })
  })
  afterAll(async () => media?.close())

  const queue = async (server: TestServer, systemName: string, count: number, webhook?: string) => {
    const res = await request(server, 'POST', '/api/v1/import/images', {
      token: server.token,
      body: {
        systemName,
        images: Array.from({ length: count }, (_, i) => ({
          id: `${systemName}-${i}`,
          url: media.url('/p.png'),
        })),
        ...(webhook ? { webhook } : {}),
      },
    })
    expect(res.status).toBe(200)
    return (res.body as { id: string }).id
  }

  describe('a receiver that hangs', () => {
    let server: TestServer
    let worker: Worker
    let receiver: Awaited<ReturnType<typeof startReceiver>>
    const held: ServerResponse[] = []

    beforeAll(async () => {
      // Never answers (until the test ends): the POST waits for the whole 30 s fetch timeout.
      receiver = await startReceiver((_req, res) => held.push(res))
      server = await startTestServer(dialect, urlImportConfig({ totalTimeoutMs: 30_000 }))
      worker = server.deps.createWorker()
      worker.start()
    })
    afterAll(async () => {
      for (const res of held) res.destroy()
      await receiver?.close()
      await worker?.stop()
      await server?.close()
    })

    it('does not stop items of other jobs being claimed', async () => {
      await queue(server, 'hook-hangs', 1, receiver.url)
      await until('the webhook POST', () => receiver.posts.length === 1)
      const started = Date.now()
      const other = await queue(server, 'other-job', 3)
      const status = await waitForJob(server, 'images', other, 25_000)
      expect(status.state).toBe('success')
      // Three local items take well under a second; before, they waited for the hanging POST (30 s).
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(held).toHaveLength(1)
    })
  })

  describe('a receiver slower than the claim lease', () => {
    let server: TestServer
    const workers: Worker[] = []
    let receiver: Awaited<ReturnType<typeof startReceiver>>
    const LEASE_MS = 300
    const ANSWER_MS = 1_500

    beforeAll(async () => {
      receiver = await startReceiver((_req, res) => {
        setTimeout(() => res.writeHead(204).end(), ANSWER_MS).unref()
      })
      const base = urlImportConfig({ totalTimeoutMs: 10_000 })
      server = await startTestServer(dialect, { ...base, jobs: { ...base.jobs!, leaseMs: LEASE_MS } })
      // Two workers, as two processes would be: the second must not send the delivery again.
      for (let i = 0; i < 2; i++) {
        const worker = server.deps.createWorker()
        worker.start()
        workers.push(worker)
      }
    })
    afterAll(async () => {
      for (const w of workers) await w.stop()
      await receiver?.close()
      await server?.close()
    })

    it('gets exactly one POST, carrying the delivery id', async () => {
      const id = await queue(server, 'hook-slow', 1, receiver.url)
      await waitForJob(server, 'images', id)
      await until(
        'the delivery',
        async () =>
          (
            (await request(server, 'GET', `/api/v1/import/images/status?id=${id}`, { token: server.token }))
              .body as { webhook?: { state?: string } }
          ).webhook?.state === 'delivered',
      )
      // Time for a second claim to show if the lease had lapsed.
      await new Promise((r) => setTimeout(r, 3 * LEASE_MS))
      expect(receiver.posts).toHaveLength(1)
      expect(receiver.posts[0]!.headers[DELIVERY_ID_HEADER]).toBe(id)
      expect(JSON.parse(receiver.posts[0]!.body)).toMatchObject({ id, state: 'success' })
    })
  })
})
