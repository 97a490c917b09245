import { createHash, createHmac } from 'node:crypto'
import { buffer } from 'node:stream/consumers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Worker } from '../../src/jobs/worker.js'
import { DIALECTS } from '../helpers/dialects.js'
import {
  makeImage,
  makeMp4,
  makePdf,
  startMediaServer,
  SVG,
  urlImportConfig,
  waitForJob,
  type MediaServer,
} from '../helpers/media-server.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const KEY = /^\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.[a-z0-9]+$/

describe.each(DIALECTS)('URL imports end to end (%s)', (dialect) => {
  let server: TestServer
  let media: MediaServer
  let worker: Worker
  const files: Record<string, Buffer> = {}

  beforeAll(async () => {
    media = await startMediaServer()
    server = await startTestServer(dialect, urlImportConfig())
    worker = server.deps.createWorker({
      logger: { info: () => undefined, error: (o, m) => console.error(m, o) },
    })
    worker.start()
    files.png = await makeImage('png', 40, 30)
    files.jpeg = await makeImage('jpeg', 64, 48, [10, 120, 200], { ImageDescription: 'Harbour at dawn' })
    files.gif = await makeImage('gif', 20, 10)
    files.webp = await makeImage('webp', 33, 44)
    files.svg = SVG
    files.redirected = await makeImage('png', 12, 13, [0, 255, 0])
    files.big = await makeImage('png', 600, 600, [1, 2, 3])
    files.mp4 = makeMp4(320, 240, 1000, 4_250)
    files.pdf = makePdf('medialib')
    media.routes.set('/img/photo.png', { body: files.png, type: 'image/png' })
    media.routes.set('/img/photo.jpg', { body: files.jpeg, type: 'image/jpeg' })
    media.routes.set('/img/anim.gif', { body: files.gif, type: 'image/gif' })
    media.routes.set('/img/pic.webp', { body: files.webp, type: 'image/webp' })
    media.routes.set('/img/logo.svg', { body: files.svg, type: 'image/svg+xml' })
    media.routes.set('/img/green.png', { body: files.redirected, type: 'image/png' })
    media.routes.set('/img/slow.png', { body: files.png, delayMs: 3_000 })
    // Random bytes do not compress: well over the 200 kB image limit.
    media.routes.set('/img/huge.png', {
      body: Buffer.concat([files.big, Buffer.alloc(300_000, 9)]),
      chunked: true,
    })
    media.routes.set('/img/fake.png', { body: files.pdf, type: 'image/png' })
    media.routes.set('/img/flaky.png', (hit) =>
      hit === 1 ? { body: Buffer.from('busy'), status: 503 } : { body: files.png!, type: 'image/png' },
    )
    media.routes.set('/v/clip.mp4', { body: files.mp4, type: 'video/mp4' })
    media.routes.set('/docs/doc.pdf', { body: files.pdf, type: 'application/pdf' })
  })
  afterAll(async () => {
    await worker?.stop()
    await server?.close()
    await media?.close()
  })

  const post = (kind: string, body: unknown, token = server.token) =>
    request(server, 'POST', `/api/v1/import/${kind}`, { token, body })

  const entry = async (id: string) => {
    const res = await request(server, 'GET', `/api/v1/mediaLibrary/${id}`, { token: server.token })
    expect(res.status).toBe(200)
    return res.body as {
      id: string
      version: number
      asset: Record<string, unknown>
      metadata: Record<string, unknown>
      externalId: string
      systemName: string
    }
  }
  const blob = async (key: string) => buffer((await server.deps.blobs.files('default').get(key))!)

  it('imports real images of every kind and reports each failure with its reason', async () => {
    const u = (p: string) => media.url(p)
    const res = await post('images', {
      systemName: 'legacy',
      webhook: media.url('/hook'),
      context: { batch: 7 },
      images: [
        { id: 'png-1', url: u('/img/photo.png'), fileName: 'A PNG', metadata: { caption: 'given' } },
        { id: 'jpg-1', url: u('/img/photo.jpg'), fileName: 'A JPEG' },
        { id: 'gif-1', url: u('/img/anim.gif'), fileName: 'A GIF' },
        { id: 'webp-1', url: u('/img/pic.webp'), fileName: 'A WebP' },
        { id: 'svg-1', url: u('/img/logo.svg'), fileName: 'An SVG' },
        { id: 'redir-1', url: u('/redirect/3/img/green.png'), fileName: 'Redirected' },
        { id: 'missing-1', url: u('/img/nothing.png'), fileName: 'Missing' },
        { id: 'slow-1', url: u('/img/slow.png'), fileName: 'Slow' },
        { id: 'huge-1', url: u('/img/huge.png'), fileName: 'Huge' },
        { id: 'fake-1', url: u('/img/fake.png'), fileName: 'Fake' },
        { id: 'flaky-1', url: u('/img/flaky.png'), fileName: 'Flaky' },
        { id: 'private-1', url: 'http://10.0.0.7/a.png', fileName: 'Private' },
        { id: 'private-2', url: u('/img/photo.png').replace('127.0.0.1', '127.0.0.2'), fileName: 'Loopback' },
        { id: 'private-3', url: 'http://[::ffff:169.254.169.254]/latest/meta-data', fileName: 'Metadata' },
        { id: 'scheme-1', url: 'file:///etc/passwd', fileName: 'File' },
      ],
    })
    expect(res.status).toBe(200)
    const { id } = res.body as { id: string }
    expect(id).toMatch(/^[a-zA-Z0-9-]+$/)

    const status = await waitForJob(server, 'images', id)
    expect(status).toMatchObject({ finished: true, state: 'success', id })
    const items = status.images as Record<string, unknown>[]
    const byId = new Map(items.map((i) => [i.externalId as string, i]))
    expect(items.map((i) => i.externalId)).toEqual([
      'png-1',
      'jpg-1',
      'gif-1',
      'webp-1',
      'svg-1',
      'redir-1',
      'missing-1',
      'slow-1',
      'huge-1',
      'fake-1',
      'flaky-1',
      'private-1',
      'private-2',
      'private-3',
      'scheme-1',
    ])
    const failed = (externalId: string) => {
      const item = byId.get(externalId)!
      expect(item).toMatchObject({ state: 'failed', externalId, systemName: 'legacy' })
      return item.reason as string
    }
    expect(failed('missing-1')).toMatch(/^HTTP 404 from /)
    expect(failed('slow-1')).toMatch(/^timeout/)
    expect(failed('huge-1')).toBe('too large: more than 200000 bytes')
    expect(failed('fake-1')).toBe('not an image: the content is application/pdf')
    expect(failed('private-1')).toBe('refused: the address of 10.0.0.7 is not allowed')
    expect(failed('private-2')).toBe('refused: the address of 127.0.0.2 is not allowed')
    expect(failed('private-3')).toMatch(/^refused: /)
    expect(failed('scheme-1')).toMatch(/only http and https/)
    // The slow one was tried 1 + maxRetries times; the flaky one succeeded on its second try.
    expect(media.hits.get('/img/slow.png')).toBe(3)
    expect(media.hits.get('/img/flaky.png')).toBe(2)

    const expected: [string, Buffer, string, number, number][] = [
      ['png-1', files.png!, 'image/png', 40, 30],
      ['jpg-1', files.jpeg!, 'image/jpeg', 64, 48],
      ['gif-1', files.gif!, 'image/gif', 20, 10],
      ['webp-1', files.webp!, 'image/webp', 33, 44],
      ['svg-1', files.svg!, 'image/svg+xml', 120, 80],
      ['redir-1', files.redirected!, 'image/png', 12, 13],
      ['flaky-1', files.png!, 'image/png', 40, 30],
    ]
    for (const [externalId, bytes, mimeType, width, height] of expected) {
      const item = byId.get(externalId)!
      expect(item, externalId).toMatchObject({ state: 'success', externalId, systemName: 'legacy' })
      expect(item.reason).toBeUndefined()
      const image = item.image as Record<string, unknown>
      expect(image).toMatchObject({
        originalUrl: expect.stringContaining(media.baseUrl),
        width,
        height,
        mimeType,
      })
      const stored = await entry(image.mediaId as string)
      expect(stored).toMatchObject({ externalId, systemName: 'legacy', version: 1, mediaType: 'image' })
      expect(stored.asset).toMatchObject({ size: bytes.length, mimeType, width, height })
      expect(stored.asset.key).toMatch(KEY)
      expect(stored.asset.url).toBe(
        `https://media.example.test/api/v1/mediaLibrary/serve-image/${stored.asset.key as string}`,
      )
      expect(image.url).toBe(stored.asset.url)
      expect(sha(await blob(stored.asset.key as string))).toBe(sha(bytes))
      expect(await server.deps.importJobs.getContentSha('default', stored.id)).toBe(sha(bytes))
    }
    const png = await entry((byId.get('png-1')!.image as { mediaId: string }).mediaId)
    expect(png.metadata).toEqual({ caption: 'given', title: 'A PNG' })
    expect(png.asset.filename).toBe('photo.png')
    // Exactly the successful items became entries and blobs; failures left nothing behind.
    const all = await server.deps.library.listByExternalIds('default', 'legacy', [...byId.keys()])
    expect(all.map((e) => e.externalId).sort()).toEqual(expected.map((e) => e[0]).sort())
    expect((await server.deps.blobs.files('default').list('')).length).toBe(expected.length)

    // The webhook: signed with the project's secret, the overview counted, the context passed back.
    const until = Date.now() + 5_000
    while (media.posts.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    const [hook] = media.posts
    expect(hook!.path).toBe('/hook')
    expect(JSON.parse(hook!.body)).toEqual({
      id,
      state: 'success',
      overview: { success: 7, skipped: 0, failed: 8 },
      context: { batch: 7 },
    })
    const secret = await server.deps.importJobs.webhookSecret('default')
    expect(hook!.headers['x-medialib-signature']).toBe(
      `sha256=${createHmac('sha256', secret).update(hook!.body).digest('hex')}`,
    )
    const after = await waitForJob(server, 'images', id)
    expect(after.webhook).toEqual({ state: 'delivered', attempts: 1 })
  })

  it('skips an unchanged duplicate and updates a changed file with a new version', async () => {
    const changing = await makeImage('png', 10, 10, [9, 9, 9])
    media.routes.set('/img/changing.png', { body: changing, type: 'image/png' })
    const body = (url: string) => ({
      systemName: 'legacy',
      images: [{ id: 'changing-1', url, fileName: 'Changing' }],
    })
    const first = await waitForJob(
      server,
      'images',
      ((await post('images', body(media.url('/img/changing.png')))).body as { id: string }).id,
    )
    const created = (first.images as { state: string; image: { mediaId: string } }[])[0]!
    expect(created.state).toBe('success')
    const before = await entry(created.image.mediaId)

    const again = await waitForJob(
      server,
      'images',
      ((await post('images', body(media.url('/img/changing.png')))).body as { id: string }).id,
    )
    expect(again.images).toEqual([
      expect.objectContaining({
        state: 'skipped',
        reason: 'already exists',
        externalId: 'changing-1',
        systemName: 'legacy',
      }),
    ])
    expect(await entry(created.image.mediaId)).toEqual(before)

    const changed = await makeImage('png', 16, 8, [200, 9, 9])
    media.routes.set('/img/changing.png', { body: changed, type: 'image/png' })
    const third = await waitForJob(
      server,
      'images',
      ((await post('images', body(media.url('/img/changing.png')))).body as { id: string }).id,
    )
    expect(third.images).toEqual([expect.objectContaining({ state: 'success', externalId: 'changing-1' })])
    const after = await entry(created.image.mediaId)
    expect(after.version).toBe(before.version + 1)
    expect(after.asset).toMatchObject({ width: 16, height: 8, size: changed.length })
    expect(after.asset.key).not.toBe(before.asset.key)
    expect(sha(await blob(after.asset.key as string))).toBe(sha(changed))
    expect(await server.deps.importJobs.getContentSha('default', after.id)).toBe(sha(changed))
  })

  it('imports an MP4 as a video with its container size and duration', async () => {
    const res = await post('videos', {
      systemName: 'legacy',
      videos: [
        { id: 'clip-1', url: media.url('/v/clip.mp4'), fileName: 'Clip' },
        { id: 'notvideo-1', url: media.url('/img/photo.png'), fileName: 'No' },
      ],
    })
    const status = await waitForJob(server, 'videos', (res.body as { id: string }).id)
    const [clip, notVideo] = status.videos as Record<string, unknown>[]
    expect(clip).toMatchObject({
      state: 'success',
      externalId: 'clip-1',
      video: { originalUrl: media.url('/v/clip.mp4'), mimeType: 'video/mp4' },
    })
    expect(notVideo).toMatchObject({ state: 'failed', reason: 'not a video: the content is image/png' })
    const stored = await entry((clip!.video as { mediaId: string }).mediaId)
    expect(stored.asset).toMatchObject({
      mimeType: 'video/mp4',
      width: 320,
      height: 240,
      duration: 4.25,
      size: files.mp4!.length,
    })
    expect(sha(await blob(stored.asset.key as string))).toBe(sha(files.mp4!))
  })

  it('imports a PDF as a file', async () => {
    const res = await post('files', {
      systemName: 'legacy',
      files: [{ id: 'doc-1', url: media.url('/docs/doc.pdf'), fileName: 'Doc' }],
    })
    const status = await waitForJob(server, 'files', (res.body as { id: string }).id)
    const [doc] = status.files as Record<string, unknown>[]
    expect(doc).toEqual({
      state: 'success',
      externalId: 'doc-1',
      systemName: 'legacy',
      mediaId: expect.any(String),
    })
    const stored = await entry(doc!.mediaId as string)
    expect(stored.asset).toMatchObject({
      mimeType: 'application/pdf',
      filename: 'doc.pdf',
      size: files.pdf!.length,
    })
    expect(stored.asset.key).toMatch(/\.pdf$/)
  })

  it('retries a failing webhook with backoff until it is delivered, and shows it on the status', async () => {
    media.posts.length = 0
    media.postStatus.push(500, 503)
    const res = await post('files', {
      systemName: 'legacy',
      webhook: media.url('/hook-retry'),
      files: [{ id: 'doc-hook', url: media.url('/docs/doc.pdf') }],
    })
    const { id } = res.body as { id: string }
    const until = Date.now() + 10_000
    let status = await waitForJob(server, 'files', id)
    while ((status.webhook as { state: string }).state !== 'delivered' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 30))
      status = await waitForJob(server, 'files', id)
    }
    expect(status.webhook).toEqual({ state: 'delivered', attempts: 3, lastError: undefined })
    expect(media.posts.map((p) => p.path)).toEqual(['/hook-retry', '/hook-retry', '/hook-retry'])
    expect(new Set(media.posts.map((p) => p.body)).size).toBe(1)
    expect(JSON.parse(media.posts[0]!.body)).toEqual({
      id,
      state: 'success',
      overview: { success: 1, skipped: 0, failed: 0 },
      context: {},
    })
  })

  it('answers bad requests with 400, wrong scope with 403, unknown jobs with 404', async () => {
    const big = { text: 'x'.repeat(8200) }
    const bad = await post('images', {
      systemName: 'legacy',
      context: big,
      images: [{ id: 'a', url: media.url('/img/photo.png') }],
    })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({
      status: 400,
      error_details: { context: expect.stringMatching(/at most 8192 bytes/) },
    })
    expect((await post('images', { images: [{ id: 'a', url: 'http://x/a.png' }] })).status).toBe(400)
    expect((await post('images', { systemName: 's', images: [] })).status).toBe(400)
    const dup = await post('images', {
      systemName: 's',
      images: [
        { id: 'a', url: 'http://x/a.png' },
        { id: 'a', url: 'http://x/b.png' },
      ],
    })
    expect(dup.status).toBe(400)
    const hook = await post('images', {
      systemName: 's',
      webhook: 'http://169.254.169.254/hook',
      images: [{ id: 'a', url: 'http://x/a.png' }],
    })
    expect(hook.body).toMatchObject({
      status: 400,
      error_details: { webhook: expect.stringMatching(/^refused/) },
    })
    const reader = await server.createToken('default', ['public-api:read'])
    expect(
      (await post('images', { systemName: 's', images: [{ id: 'a', url: 'http://x/a.png' }] }, reader))
        .status,
    ).toBe(403)
    expect(
      (await request(server, 'GET', '/api/v1/import/images/status?id=x', { token: reader })).status,
    ).toBe(403)
    const missing = await request(server, 'GET', '/api/v1/import/images/status?id=nope', {
      token: server.token,
    })
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ status: 404 })
    expect(
      (await request(server, 'GET', '/api/v1/import/images/status', { token: server.token })).status,
    ).toBe(400)
  })
})

describe.each(DIALECTS)('URL imports refuse private addresses by default (%s)', (dialect) => {
  let server: TestServer
  let media: MediaServer
  let worker: Worker
  beforeAll(async () => {
    media = await startMediaServer()
    media.routes.set('/a.png', { body: await makeImage('png', 4, 4), type: 'image/png' })
    const config = urlImportConfig({ allowCidrs: [] })
    server = await startTestServer(dialect, config)
    worker = server.deps.createWorker()
    worker.start()
  })
  afterAll(async () => {
    await worker.stop()
    await server.close()
    await media.close()
  })
  it('fails a 127.0.0.1 URL with a clear reason and fetches nothing', async () => {
    const res = await request(server, 'POST', '/api/v1/import/images', {
      token: server.token,
      body: { systemName: 's', images: [{ id: 'local', url: media.url('/a.png') }] },
    })
    const status = await waitForJob(server, 'images', (res.body as { id: string }).id)
    expect(status.images).toEqual([
      {
        state: 'failed',
        reason: 'refused: the address of 127.0.0.1 is not allowed',
        externalId: 'local',
        systemName: 's',
      },
    ])
    expect(media.hits.size).toBe(0)
  })

  it('names the host but never what it resolved to (issue 13, finding 9)', async () => {
    const res = await request(server, 'POST', '/api/v1/import/images', {
      token: server.token,
      body: {
        systemName: 's',
        images: [{ id: 'named', url: media.url('/a.png').replace('127.0.0.1', 'localhost') }],
      },
    })
    const status = await waitForJob(server, 'images', (res.body as { id: string }).id)
    const [item] = status.images as { state: string; reason: string }[]
    expect(item).toMatchObject({
      state: 'failed',
      reason: 'refused: the address of localhost is not allowed',
    })
    expect(item!.reason).not.toMatch(/127\.0\.0\.1|::1|\(/)
    expect(media.hits.size).toBe(0)
  })
})
