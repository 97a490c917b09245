import { Readable } from 'node:stream'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { variantKey } from '../../src/media/thumbnail.service.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const API = '/api/2026-07'
const KEY = '2026/11/28/route-original.jpg'

describe.each(DIALECTS)('GET /mediaLibrary/{id}/thumbnail (%s)', (dialect) => {
  let server: TestServer
  let readToken: string
  const get = (url: string, headers: Record<string, string> = {}, token = readToken) =>
    server.fetch(`${url}`, { headers: { authorization: `Bearer ${token}`, ...headers } })

  beforeAll(async () => {
    server = await startTestServer(dialect)
    readToken = await server.createToken('default', ['public-api:read'])
    const bytes = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#884422' } })
      .jpeg()
      .toBuffer()
    await server.deps.blobs.files('default').put(KEY, Readable.from([bytes]), { contentType: 'image/jpeg' })
    const asset = {
      key: KEY,
      url: `http://x/${KEY}`,
      size: bytes.length,
      width: 1600,
      height: 1200,
      filename: 'o.jpg',
      mimeType: 'image/jpeg',
    }
    const res = await request(server, 'POST', `${API}/import/mediaLibrary`, {
      token: server.token,
      body: {
        mediaLibraryEntries: [
          imageEntry({ id: 'thumb-1', asset }),
          imageEntry({ id: 'thumb-missing' }),
          imageEntry({
            id: 'thumb-pdf',
            mediaType: 'file',
            asset: {
              key: '2026/11/28/x.pdf',
              url: 'http://x/x.pdf',
              size: 10,
              filename: 'x.pdf',
              mimeType: 'application/pdf',
            },
          }),
        ],
      },
    })
    expect((res.body as { results: { ok: boolean }[] }).results.map((r) => r.ok)).toEqual([true, true, true])
  })
  afterAll(async () => server?.close())

  it('makes a WebP/AVIF/JPEG by Accept on first request, caches it in the derived namespace, and answers 304 to its ETag', async () => {
    const derived = server.deps.blobs.derived('default')
    expect(await derived.list('')).toEqual([])
    const webp = await get(`${API}/mediaLibrary/thumb-1/thumbnail?w=320&key=${encodeURIComponent(KEY)}`, {
      accept: 'image/avif,image/webp,*/*',
    })
    expect(webp.status).toBe(200)
    expect(webp.headers.get('content-type')).toBe('image/webp')
    expect(webp.headers.get('vary')).toBe('Accept')
    expect(webp.headers.get('cache-control')).toBe('private, max-age=31536000, immutable')
    const etag = webp.headers.get('etag')
    expect(etag).toMatch(/^"[\w-]+"$/)
    expect(await sharp(Buffer.from(await webp.arrayBuffer())).metadata()).toMatchObject({
      width: 320,
      height: 240,
    })
    expect(await derived.list('')).toEqual([variantKey(KEY, 320, 'webp')])

    const notModified = await get(`${API}/mediaLibrary/thumb-1/thumbnail?w=320`, {
      accept: 'image/webp',
      'if-none-match': etag!,
    })
    expect(notModified.status).toBe(304)
    expect(notModified.headers.get('cache-control')).toBe('private, no-cache')

    const jpeg = await get(`${API}/mediaLibrary/thumb-1/thumbnail?w=160`, { accept: 'image/png' })
    expect(jpeg.headers.get('content-type')).toBe('image/jpeg')
    const avif = await get(`${API}/mediaLibrary/thumb-1/thumbnail?w=160`, { accept: 'image/avif' })
    expect(avif.headers.get('content-type')).toBe('image/avif')
    expect((await derived.list('')).sort()).toEqual(
      [variantKey(KEY, 160, 'avif'), variantKey(KEY, 160, 'jpeg'), variantKey(KEY, 320, 'webp')].sort(),
    )
  })

  it('answers 4xx in the envelope: bad width, no token, unknown entry, non-image, missing original', async () => {
    const bad = await request(server, 'GET', `${API}/mediaLibrary/thumb-1/thumbnail?w=333`, {
      token: readToken,
    })
    expect(bad.status).toBe(400)
    expect((await request(server, 'GET', `${API}/mediaLibrary/thumb-1/thumbnail`)).status).toBe(401)
    const unknown = await request(server, 'GET', `${API}/mediaLibrary/nope/thumbnail`, { token: readToken })
    expect(unknown.status).toBe(404)
    const pdf = await request(server, 'GET', `${API}/mediaLibrary/thumb-pdf/thumbnail`, { token: readToken })
    expect(pdf).toMatchObject({
      status: 404,
      body: { error_details: { message: expect.stringMatching(/not an image/) } },
    })
    const missing = await request(server, 'GET', `${API}/mediaLibrary/thumb-missing/thumbnail`, {
      token: readToken,
    })
    expect(missing).toMatchObject({
      status: 404,
      // Not in storage: the preview of its asset.url is tried (issue #17), which here cannot be fetched.
      body: {
        error_details: { message: expect.stringMatching(/original at asset.url could not be fetched/) },
      },
    })
  })
})
