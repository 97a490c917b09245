import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Worker } from '../../src/jobs/worker.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { startS3 } from '../helpers/s3.js'
import {
  makeImage,
  startMediaServer,
  urlImportConfig,
  waitForJob,
  type MediaServer,
} from '../helpers/media-server.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const METRICS_TOKEN = 'scrape-secret-1'

/** One sample of a scrape: `name{labels} value`, labels given in their exposition order. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const prefix = labels ? `${name}{${labels}} ` : `${name} `
  const line = text.split('\n').find((l) => l.startsWith(prefix))
  return line === undefined ? undefined : Number(line.slice(prefix.length))
}

const STORAGES = ['disk', 's3'] as const

describe.each(DIALECTS.flatMap((d) => STORAGES.map((s) => [d, s] as const)))(
  'metrics and probes (%s, %s storage)',
  (dialect, storage) => {
    let server: TestServer
    let media: MediaServer
    let worker: Worker
    let s3: Awaited<ReturnType<typeof startS3>> | undefined
    const scrape = async (token: string | null = METRICS_TOKEN) => {
      const res = await server.fetch(`/metrics`, {
        headers: token !== null ? { authorization: `Bearer ${token}` } : {},
      })
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() }
    }

    beforeAll(async () => {
      media = await startMediaServer()
      media.routes.set('/a.png', { body: await makeImage('png', 40, 30), type: 'image/png' })
      media.routes.set('/b.png', { body: await makeImage('png', 20, 10), type: 'image/png' })
      if (storage === 's3') s3 = await startS3()
      server = await startTestServer(dialect, {
        ...urlImportConfig(),
        metrics: { enabled: true, token: METRICS_TOKEN },
        ...(s3 ? { storage: s3.storage } : {}),
      })
      worker = server.deps.createWorker({ logger: { info: () => undefined, error: () => undefined } })
      worker.start()
    })
    afterAll(async () => {
      await worker?.stop()
      await server?.close()
      await media?.close()
      await s3?.close()
    })

    it('livez and readyz answer with every check ok', async () => {
      expect(await request(server, 'GET', '/livez')).toMatchObject({ status: 200, body: { status: 'ok' } })
      expect(await request(server, 'GET', '/readyz')).toMatchObject({
        status: 200,
        body: { status: 'ok', checks: { database: 'ok', storage: 'ok', migrations: 'ok' } },
      })
      // The reference's health route is unchanged.
      expect((await request(server, 'GET', '/api/v1/health')).body).toEqual({ status: 'ok' })
    })

    it('/metrics needs its token', async () => {
      expect((await scrape(null)).status).toBe(401)
      expect((await scrape('wrong')).status).toBe(401)
      const ok = await scrape()
      expect(ok.status).toBe(200)
      expect(ok.type).toMatch(/^text\/plain; version=0\.0\.4/)
      expect(ok.text).toContain('# TYPE medialib_http_requests_total counter')
      expect(sample(ok.text, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    })

    it('counts an import and a URL import exactly', async () => {
      const entries = [
        imageEntry({ id: `m-${dialect}-1` }),
        imageEntry({ id: `m-${dialect}-2` }),
        imageEntry({ id: `m-${dialect}-3` }),
        imageEntry({ id: `m-${dialect}-1` }),
        { ...imageEntry({ id: `m-${dialect}-4` }), mediaType: 'nope' },
      ]
      const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
        token: server.token,
        body: { mediaLibraryEntries: entries },
      })
      expect(res.status).toBe(200)
      const queued = await request(server, 'POST', '/api/v1/import/images', {
        token: server.token,
        body: {
          systemName: 'metrics',
          images: [
            { id: 'u1', url: media.url('/a.png') },
            { id: 'u2', url: media.url('/b.png') },
            { id: 'u3', url: media.url('/missing.png') },
          ],
        },
      })
      expect(queued.status).toBe(200)
      await waitForJob(server, 'images', (queued.body as { id: string }).id)

      const { text } = await scrape()
      expect(sample(text, 'medialib_imported_entries_total', 'result="created"')).toBe(3)
      expect(sample(text, 'medialib_imported_entries_total', 'result="failed"')).toBe(2)
      expect(
        sample(
          text,
          'medialib_http_requests_total',
          'method="POST",route="/api/:apiVersion/import/mediaLibrary",status="200"',
        ),
      ).toBe(1)
      expect(
        sample(
          text,
          'medialib_http_request_duration_seconds_count',
          'method="POST",route="/api/:apiVersion/import/mediaLibrary",status="200"',
        ),
      ).toBe(1)
      expect(sample(text, 'medialib_url_import_items', 'state="success"')).toBe(2)
      expect(sample(text, 'medialib_url_import_items', 'state="failed"')).toBe(1)
      expect(sample(text, 'medialib_url_import_items', 'state="queued"')).toBe(0)
      expect(sample(text, 'medialib_url_import_queue_depth')).toBe(0)
      expect(sample(text, 'medialib_url_import_queue_oldest_age_seconds')).toBe(0)
      expect(sample(text, 'medialib_http_requests_total', 'method="GET",route="/metrics",status="401"')).toBe(
        2,
      )
    })
  },
)

describe('metrics are off by default', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer('sqlite')
  })
  afterAll(async () => {
    await server?.close()
  })

  it('answers 404 on /metrics, and the probes still answer', async () => {
    expect((await request(server, 'GET', '/metrics')).status).toBe(404)
    expect((await request(server, 'GET', '/livez')).status).toBe(200)
  })

  it('readyz answers 503 naming the storage while blobs cannot be written, and 200 again after', async () => {
    // A file where the blob directory belongs: nothing can be stored.
    const blobs = path.join(server.db.dataDir, 'projects')
    rmSync(blobs, { recursive: true, force: true })
    writeFileSync(blobs, 'in the way')
    const broken = await request(server, 'GET', '/readyz')
    expect(broken.status).toBe(503)
    const body = broken.body as { status: string; checks: Record<string, string> }
    expect(body.status).toBe('unavailable')
    expect(body.checks.database).toBe('ok')
    expect(body.checks.migrations).toBe('ok')
    expect(body.checks.storage).toMatch(/^E(EXIST|NOTDIR)/)
    expect((await request(server, 'GET', '/livez')).status).toBe(200)
    rmSync(blobs)
    expect((await request(server, 'GET', '/readyz')).status).toBe(200)
  })
})
