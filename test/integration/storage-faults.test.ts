import { createHash } from 'node:crypto'
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import S3rver from 's3rver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type Config } from '../../src/config.js'
import type { Worker } from '../../src/jobs/worker.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import type { BlobStore } from '../../src/storage/blob-store.js'
import { createS3BlobStore } from '../../src/storage/s3-blob-store.js'
import { DIALECTS } from '../helpers/dialects.js'
import {
  makeImage,
  startMediaServer,
  urlImportConfig,
  waitForJob,
  type MediaServer,
} from '../helpers/media-server.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

/**
 * What a URL import does when the blob store fails: a disk write that breaks midway (a store wrapper the worker
 * is built with), and S3 answering 503, stalling, or storing a blob whose answer never arrives (a proxy in front
 * of s3rver). Each item must end retried-then-failed with a reason naming the storage failure, or retried and
 * successful once the fault clears — never an entry without its blob, never a blob without its entry.
 */

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const MAX_RETRIES = 2

const quietLogger = { info: () => undefined, error: () => undefined }

/** One URL-import job of one image, run to its end; the item as the queue recorded it. */
async function importOne(server: TestServer, media: MediaServer, externalId: string) {
  const res = await request(server, 'POST', '/api/v1/import/images', {
    token: server.token,
    body: { systemName: 'faults', images: [{ id: externalId, url: media.url('/photo.png') }] },
  })
  expect(res.status).toBe(200)
  const jobId = (res.body as { id: string }).id
  const status = await waitForJob(server, 'images', jobId, 30_000)
  const [item] = await server.deps.importJobs.items(jobId)
  const [reported] = status.images as { externalId: string; state: string; reason?: string }[]
  expect(reported!.externalId).toBe(externalId)
  expect(reported!.state).toBe(item!.state)
  return { status, item: item!, reported: reported! }
}

/** The item's entry, looked up both ways a client could: by external id and by the entry id it was given. */
async function entryOf(server: TestServer, item: { externalId: string; entryId: string }) {
  const byExternal = await server.deps.library.listByExternalIds(DEFAULT_PROJECT, 'faults', [item.externalId])
  const res = await request(server, 'GET', `/api/v1/mediaLibrary/${item.entryId}`, { token: server.token })
  expect(res.status === 200).toBe(byExternal.length === 1)
  if (res.status !== 200) expect(res.status).toBe(404)
  return byExternal[0]
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name))
}

describe.each(DIALECTS)('storage faults during URL imports (%s)', (dialect) => {
  let media: MediaServer
  let png: Buffer

  beforeAll(async () => {
    media = await startMediaServer()
    png = await makeImage('png', 64, 48, [30, 60, 90])
    media.routes.set('/photo.png', { body: png, type: 'image/png' })
  })
  afterAll(async () => {
    await media?.close()
  })

  describe('disk store: a blob write that fails midway', () => {
    let server: TestServer
    let worker: Worker
    let blobsDir: string
    /** Put calls that are to fail; each failing put writes half of the first chunk, then breaks. */
    let failNextPuts = 0
    const seen = { puts: 0, failed: 0, partialSeen: 0 }

    /** The app's store, with puts whose source stream breaks after part of the bytes reached the disk. */
    const breakingMidway = (inner: BlobStore): BlobStore => ({
      ...inner,
      put(key, body, options) {
        seen.puts++
        if (failNextPuts === 0) return inner.put(key, body, options)
        failNextPuts--
        seen.failed++
        const broken = Readable.from(
          (async function* () {
            for await (const chunk of body) {
              yield (chunk as Buffer).subarray(0, (chunk as Buffer).length >> 1)
              break
            }
            // Wait until the partial bytes are in the store's temporary file, so the fault is truly midway.
            for (let i = 0; i < 200; i++) {
              const partial = filesUnder(path.join(blobsDir, '.tmp'))
              if (partial.some((f) => statSync(f).size > 0)) {
                seen.partialSeen++
                break
              }
              await new Promise((r) => setTimeout(r, 5))
            }
            throw new Error('disk write failed midway (injected)')
          })(),
        )
        return inner.put(key, broken, options)
      },
      // The worker moves a downloaded file in with putFile where the store has it: here its bytes go through
      // the breaking put above, so the fault hits the same write.
      putFile(key, file, options) {
        return this.put(key, createReadStream(file), options)
      },
      // A small download is held in memory and stored with putBytes: it takes the same breaking write.
      putBytes(key, bytes, options) {
        return this.put(key, Readable.from([bytes]), options)
      },
    })

    beforeAll(async () => {
      server = await startTestServer(dialect, urlImportConfig())
      blobsDir = path.join(server.db.dataDir, 'projects')
      const storage = server.deps.blobs
      worker = server.deps.createWorker({
        logger: quietLogger,
        blobs: { files: (p) => breakingMidway(storage.files(p)), derived: (p) => storage.derived(p) },
      })
      worker.start()
    })
    afterAll(async () => {
      await worker?.stop()
      await server?.close()
    })

    it('a write that keeps failing: retried, then failed with the storage error; no entry, no blob, no partial file', async () => {
      failNextPuts = Infinity
      seen.puts = seen.failed = seen.partialSeen = 0
      const { item, reported } = await importOne(server, media, 'disk-broken')
      expect(item.state).toBe('failed')
      expect(item.attempts).toBe(MAX_RETRIES + 1)
      expect(reported.reason).toBe('storing the blob failed: disk write failed midway (injected)')
      expect(seen).toEqual({ puts: MAX_RETRIES + 1, failed: MAX_RETRIES + 1, partialSeen: MAX_RETRIES + 1 })
      expect(await entryOf(server, item)).toBeUndefined()
      expect(await server.deps.blobs.files('default').list('')).toEqual([])
      expect(filesUnder(blobsDir)).toEqual([])
      expect(filesUnder(path.join(server.db.dataDir, 'tmp', 'url-import'))).toEqual([])
    })

    it('a write that fails once: retried, then one entry whose asset is the one stored blob', async () => {
      failNextPuts = 1
      seen.puts = seen.failed = seen.partialSeen = 0
      const before = new Set(await server.deps.blobs.files('default').list(''))
      const { item } = await importOne(server, media, 'disk-flaky')
      expect(item.state).toBe('success')
      expect(item.attempts).toBe(2)
      expect(seen).toEqual({ puts: 2, failed: 1, partialSeen: 1 })
      const entry = await entryOf(server, item)
      expect(entry?.id).toBe(item.entryId)
      expect((await server.deps.blobs.files('default').list('')).filter((k) => !before.has(k))).toEqual([
        entry!.asset.key,
      ])
      expect(sha(await buffer((await server.deps.blobs.files('default').get(entry!.asset.key))!))).toBe(
        sha(png),
      )
      expect(filesUnder(path.join(blobsDir, '.tmp'))).toEqual([])
    })
  })

  describe('S3 store: 503, a stalled request, a lost answer (proxy in front of s3rver)', () => {
    type Fault = 'pass' | '503' | 'stall' | 'lose-answer'
    let s3rver: S3rver
    let s3dir: string
    let proxy: Server
    let server: TestServer
    let worker: Worker
    /** The store straight at s3rver, to see what the bucket really holds. */
    let bucket: ReturnType<typeof createS3BlobStore>
    /** The fault for the n-th PUT (1-based) the proxy receives; other requests pass. */
    let putFault: (n: number) => Fault = () => 'pass'
    let puts: Fault[] = []
    const SOCKET_TIMEOUT_MS = 300
    const S3_ATTEMPTS = 2

    beforeAll(async () => {
      s3dir = mkdtempSync(path.join(tmpdir(), 'medialib-s3faults-'))
      s3rver = new S3rver({
        address: '127.0.0.1',
        port: 0,
        silent: true,
        directory: s3dir,
        configureBuckets: [{ name: 'medialib-faults', configs: [] }],
      })
      const { port: s3port } = await s3rver.run()
      proxy = createServer((req, res) => {
        const fault: Fault = req.method === 'PUT' ? putFault(puts.length + 1) : 'pass'
        if (req.method === 'PUT') puts.push(fault)
        if (fault === 'stall') return void req.resume()
        if (fault === '503') {
          req.resume()
          res.writeHead(503, { 'content-type': 'application/xml' })
          return void res.end(
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code>' +
              '<Message>Please reduce your request rate.</Message></Error>',
          )
        }
        const upstream = httpRequest(
          { host: '127.0.0.1', port: s3port, method: req.method, path: req.url, headers: req.headers },
          (up: IncomingMessage) => {
            if (fault === 'lose-answer') return void up.resume() // stored upstream; the client never hears
            res.writeHead(up.statusCode ?? 502, up.headers)
            up.pipe(res)
          },
        )
        upstream.on('error', () => res.destroy())
        req.pipe(upstream)
      })
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
      const s3 = {
        ...DEFAULT_CONFIG.storage.s3,
        bucket: 'medialib-faults',
        prefix: 'lib/',
        region: 'us-east-1',
        forcePathStyle: true,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        connectTimeoutMs: 1_000,
        socketTimeoutMs: SOCKET_TIMEOUT_MS,
        maxAttempts: S3_ATTEMPTS,
      } satisfies Config['storage']['s3']
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
      server = await startTestServer(dialect, {
        ...urlImportConfig(),
        storage: { driver: 's3', s3: { ...s3, endpoint: proxyUrl } },
      })
      bucket = createS3BlobStore({ ...s3, endpoint: `http://127.0.0.1:${s3port}` })
      worker = server.deps.createWorker({ logger: quietLogger })
      worker.start()
    })
    afterAll(async () => {
      await worker?.stop()
      await server?.close()
      bucket?.client.destroy()
      if (proxy) {
        proxy.closeAllConnections()
        await new Promise<void>((r) => proxy.close(() => r()))
      }
      await s3rver?.close()
      if (s3dir) rmSync(s3dir, { recursive: true, force: true })
    })

    /** Imports one item with the PUT faults given; `stored` is what the bucket gained meanwhile. */
    const run = async (externalId: string, fault: (n: number) => Fault) => {
      const before = new Set(await bucket.list(''))
      putFault = fault
      puts = []
      const started = Date.now()
      const outcome = await importOne(server, media, externalId)
      putFault = () => 'pass'
      const ms = Date.now() - started
      return { ...outcome, ms, stored: (await bucket.list('')).filter((k) => !before.has(k)) }
    }

    it('S3 answers 503 to every PUT: each attempt retried by the SDK and by the queue, then failed; nothing stored', async () => {
      const { item, reported, stored } = await run('s3-unavailable', () => '503')
      expect(item.state).toBe('failed')
      expect(item.attempts).toBe(MAX_RETRIES + 1)
      expect(reported.reason).toBe('storing the blob failed: Please reduce your request rate.')
      expect(puts).toHaveLength((MAX_RETRIES + 1) * S3_ATTEMPTS)
      expect(await entryOf(server, item)).toBeUndefined()
      expect(stored).toEqual([])
    })

    it('a stalled S3 PUT times out (the item does not hang): retried, then failed; nothing stored', async () => {
      const { item, reported, ms, stored } = await run('s3-stalled', () => 'stall')
      expect(item.state).toBe('failed')
      expect(item.attempts).toBe(MAX_RETRIES + 1)
      expect(reported.reason).toMatch(
        new RegExp(`^storing the blob failed: .*timed out after ${SOCKET_TIMEOUT_MS} ms of inactivity`),
      )
      expect(puts).toEqual(Array((MAX_RETRIES + 1) * S3_ATTEMPTS).fill('stall'))
      // 3 item attempts × 2 requests × 300 ms idle timeout, plus back-off: seconds, not forever.
      expect(ms).toBeLessThan(15_000)
      expect(await entryOf(server, item)).toBeUndefined()
      expect(stored).toEqual([])
    })

    it('S3 stores the blob but its answer is lost: failed, and the stored orphan is removed', async () => {
      const { item, reported, stored } = await run('s3-lost-answer', () => 'lose-answer')
      expect(item.state).toBe('failed')
      expect(reported.reason).toMatch(/^storing the blob failed: .*timed out/)
      expect(puts).toHaveLength((MAX_RETRIES + 1) * S3_ATTEMPTS)
      expect(await entryOf(server, item)).toBeUndefined()
      expect(stored).toEqual([])
      expect(item.blobKey).toBeUndefined()
    })

    it('503s that outlast the SDK retries of one attempt: the queue retries, then one entry with its blob', async () => {
      const { item, stored } = await run('s3-recovers', (n) => (n <= S3_ATTEMPTS ? '503' : 'pass'))
      expect(item.state).toBe('success')
      expect(item.attempts).toBe(2)
      expect(puts).toEqual([...Array(S3_ATTEMPTS).fill('503'), 'pass'])
      const entry = await entryOf(server, item)
      expect(entry?.id).toBe(item.entryId)
      // The bucket holds it in the project's namespace (`<projectPrefix>files/<key>` under the prefix).
      const physical = `projects/default/files/${entry!.asset.key}`
      expect(stored).toEqual([physical])
      expect(sha(await buffer((await bucket.get(physical))!))).toBe(sha(png))
      expect(sha(await buffer((await server.deps.blobs.files('default').get(entry!.asset.key))!))).toBe(
        sha(png),
      )
    })
  })
})
