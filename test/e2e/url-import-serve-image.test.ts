import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Worker } from '../../src/jobs/worker.js'
import { DIALECTS } from '../helpers/dialects.js'
import {
  makeImage,
  startMediaServer,
  SVG,
  urlImportConfig,
  waitForJob,
  type MediaServer,
} from '../helpers/media-server.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

describe.each(DIALECTS)('GET /api/:apiVersion/mediaLibrary/serve-image/{key} (%s)', (dialect) => {
  let server: TestServer
  let media: MediaServer
  let worker: Worker
  let png: Buffer
  const assets: Record<string, { id: string; key: string }> = {}

  beforeAll(async () => {
    media = await startMediaServer()
    server = await startTestServer(dialect, urlImportConfig())
    worker = server.deps.createWorker()
    worker.start()
    png = await makeImage('png', 50, 40)
    media.routes.set('/p.png', { body: png, type: 'image/png' })
    media.routes.set('/s.svg', { body: SVG, type: 'image/svg+xml' })
    media.routes.set('/r.png', { body: await makeImage('png', 5, 5, [0, 0, 0]), type: 'image/png' })
    const res = await server.fetch(`/api/v1/import/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        systemName: 'serve',
        images: [
          { id: 'p', url: media.url('/p.png') },
          { id: 's', url: media.url('/s.svg') },
          { id: 'r', url: media.url('/r.png') },
        ],
      }),
    })
    const status = await waitForJob(server, 'images', ((await res.json()) as { id: string }).id)
    for (const item of status.images as { externalId: string; image: { mediaId: string } }[]) {
      const entry = await server.deps.library.getOrFail('default', item.image.mediaId)
      assets[item.externalId] = { id: entry.id, key: entry.asset.key }
    }
  })
  afterAll(async () => {
    await worker?.stop()
    await server?.close()
    await media?.close()
  })

  const get = (
    key: string,
    headers: Record<string, string> = {},
    token: string | undefined = server.token,
    version = 'v1',
  ) =>
    server.fetch(`/api/${version}/mediaLibrary/serve-image/${key}`, {
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    })

  it('streams the original with its type, length, ETag and Last-Modified', async () => {
    for (const version of ['v1', '2025-03', '2026-07']) {
      const res = await get(assets.p!.key, {}, server.token, version)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('image/png')
      expect(res.headers.get('content-length')).toBe(String(png.length))
      expect(res.headers.get('accept-ranges')).toBe('bytes')
      expect(res.headers.get('etag')).toMatch(/^".+"$/)
      expect(new Date(res.headers.get('last-modified')!).getTime()).toBeGreaterThan(0)
      expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true)
    }
  })

  it('answers 304 to a matching If-None-Match', async () => {
    const etag = (await get(assets.p!.key)).headers.get('etag')!
    const res = await get(assets.p!.key, { 'if-none-match': etag })
    expect(res.status).toBe(304)
    expect((await res.arrayBuffer()).byteLength).toBe(0)
    expect((await get(assets.p!.key, { 'if-none-match': '"other"' })).status).toBe(200)
  })

  it('serves byte ranges, and 416 for a range past the end', async () => {
    const mid = await get(assets.p!.key, { range: 'bytes=10-19' })
    expect(mid.status).toBe(206)
    expect(mid.headers.get('content-range')).toBe(`bytes 10-19/${png.length}`)
    expect(Buffer.from(await mid.arrayBuffer()).equals(png.subarray(10, 20))).toBe(true)
    const suffix = await get(assets.p!.key, { range: 'bytes=-7' })
    expect(suffix.status).toBe(206)
    expect(Buffer.from(await suffix.arrayBuffer()).equals(png.subarray(png.length - 7))).toBe(true)
    const open = await get(assets.p!.key, { range: `bytes=${png.length - 3}-` })
    expect(Buffer.from(await open.arrayBuffer()).equals(png.subarray(png.length - 3))).toBe(true)
    const past = await get(assets.p!.key, { range: `bytes=${png.length}-` })
    expect(past.status).toBe(416)
    expect(past.headers.get('content-range')).toBe(`bytes */${png.length}`)
  })

  it('sandboxes SVG', async () => {
    const res = await get(assets.s!.key)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/svg+xml')
    expect(res.headers.get('content-security-policy')).toMatch(/sandbox/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('answers 404 "No image found." for unknown keys, escaping keys and other projects', async () => {
    const expected = { status: 404, error: 'Not Found', error_details: { message: 'No image found.' } }
    for (const key of ['2020/01/01/nothing.png', '..%2F..%2Fetc%2Fpasswd', 'a/../b.png']) {
      const res = await get(key)
      expect(res.status, key).toBe(404)
      expect(await res.json()).toEqual(expected)
    }
    const other = await server.createToken('other-project', ['public-api:read'])
    const res = await get(assets.p!.key, {}, other)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual(expected)
  })

  it('answers 401 without a token', async () => {
    expect((await get(assets.p!.key, {}, '')).status).toBe(401)
  })

  it('answers 403 for a revoked entry, and serves it again once unrevoked', async () => {
    await server.deps.library.patch('default', assets.r!.id, {
      patches: [{ operation: 'revokeAsset', note: 'rights expired' }],
    })
    const res = await get(assets.r!.key)
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      status: 403,
      error: 'Forbidden',
      error_details: { message: 'The requested image is revoked or marked as invalid' },
    })
    await server.deps.library.patch('default', assets.r!.id, { patches: [{ operation: 'unrevokeAsset' }] })
    expect((await get(assets.r!.key)).status).toBe(200)
  })
})
