import { Readable } from 'node:stream'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type Config } from '../../src/config.js'
import { signVariantUrl } from '../../src/media/variant-params.js'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage, startMediaServer, SVG, type MediaServer } from '../helpers/media-server.js'
import { startS3 } from '../helpers/s3.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const STORES = ['disk', 's3'] as const
const CASES = DIALECTS.flatMap((dialect) => STORES.map((store) => [dialect, store] as const))
const PROJECT = 'pics'
const MEDIA_TYPES = [
  {
    handle: 'image',
    type: 'mediaImage',
    metadata: [
      { handle: 'invalid', type: 'li-invalid' },
      {
        handle: 'crops',
        type: 'li-named-crops',
        config: {
          namedCrops: [
            { name: 'square', isOptional: true },
            { name: 'wide', isOptional: true },
          ],
        },
      },
    ],
  },
]

type Rgb = [number, number, number]
const RED: Rgb = [255, 0, 0]
const GREEN: Rgb = [0, 255, 0]
const BLUE: Rgb = [0, 0, 255]
const YELLOW: Rgb = [255, 255, 0]

/** 400×200 in quadrants: red top-left, green top-right, blue bottom-left, yellow bottom-right. */
async function quadrants(): Promise<Buffer> {
  const tile = (c: Rgb) =>
    sharp({ create: { width: 200, height: 100, channels: 3, background: { r: c[0], g: c[1], b: c[2] } } })
      .png()
      .toBuffer()
  return sharp({ create: { width: 400, height: 200, channels: 3, background: '#000' } })
    .composite([
      { input: await tile(RED), left: 0, top: 0 },
      { input: await tile(GREEN), left: 200, top: 0 },
      { input: await tile(BLUE), left: 0, top: 100 },
      { input: await tile(YELLOW), left: 200, top: 100 },
    ])
    .png()
    .toBuffer()
}

/** The colour at a point of a decoded image (the centre by default), and whether it is close to `rgb`. */
async function centre(body: Buffer, at?: { x: number; y: number }): Promise<Rgb> {
  const { data, info } = await sharp(body).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const x = at?.x ?? Math.floor(info.width / 2)
  const y = at?.y ?? Math.floor(info.height / 2)
  const i = (y * info.width + x) * info.channels
  return [data[i]!, data[i + 1]!, data[i + 2]!]
}
const near = (a: Rgb, b: Rgb) => a.every((v, i) => Math.abs(v - b[i]!) < 40)

describe.each(CASES)('image variants (%s, %s storage)', (dialect, store) => {
  let server: TestServer
  let token: string
  let media: MediaServer
  let s3: Awaited<ReturnType<typeof startS3>> | undefined
  const sources: Record<string, { key: string; body: Buffer; mimeType: string; w: number; h: number }> = {}

  beforeAll(async () => {
    media = await startMediaServer()
    const config: Partial<Config> = {
      // Every size up to 1,000 but 123 (the signature test's) is in the allow-list.
      variants: {
        ...DEFAULT_CONFIG.variants,
        allowedSizes: Array.from({ length: 1000 }, (_, i) => i + 1).filter((n) => n !== 123),
      },
      fetch: { ...DEFAULT_CONFIG.fetch, allowCidrs: ['127.0.0.1/32'] },
    }
    if (store === 's3') {
      s3 = await startS3()
      config.storage = s3.storage
    }
    server = await startTestServer(dialect, config, { listen: true })
    await server.deps.projects.create(PROJECT, MEDIA_TYPES as never)
    token = await server.createToken(PROJECT, ['public-api:read', 'public-api:write'])
    const made: [string, Buffer, string, number, number][] = [
      ['quad', await quadrants(), 'image/png', 400, 200],
      ['jpeg', await makeImage('jpeg', 300, 200), 'image/jpeg', 300, 200],
      ['png', await makeImage('png', 300, 200), 'image/png', 300, 200],
      ['webp', await makeImage('webp', 300, 200), 'image/webp', 300, 200],
      ['gif', await makeImage('gif', 300, 200), 'image/gif', 300, 200],
      ['svg', SVG, 'image/svg+xml', 120, 80],
    ]
    for (const [id, body, mimeType, w, h] of made) {
      const key = `src/${id}.${mimeType.split('/')[1]!.replace('+xml', '')}`
      await server.deps.blobs.files(PROJECT).put(key, Readable.from([body]))
      sources[id] = { key, body, mimeType, w, h }
    }
    const entries = made.map(([id, body, mimeType, w, h]) => ({
      id,
      mediaType: 'image',
      asset: {
        key: sources[id]!.key,
        url: `https://cdn.example.test/${sources[id]!.key}`,
        size: body.length,
        width: w,
        height: h,
        filename: id,
        mimeType,
      },
      metadata: {},
    }))
    const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
      token,
      body: { mediaLibraryEntries: entries },
    })
    const results = (res.body as { mediaLibraryEntries: { ok: boolean }[] }).mediaLibraryEntries
    expect(
      results.every((e) => e.ok),
      JSON.stringify(results),
    ).toBe(true)
  })
  afterAll(async () => {
    await server?.close()
    await media?.close()
    await s3?.close()
  })

  const get = (url: string, headers: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}${url}`, { headers: { authorization: `Bearer ${token}`, ...headers } })
  const serve = (id: string, query: string) => `/api/v1/mediaLibrary/serve-image/${sources[id]!.key}?${query}`
  const image = async (res: Response) => {
    expect(
      res.status,
      await res
        .clone()
        .text()
        .catch(() => ''),
    ).toBe(200)
    const body = Buffer.from(await res.arrayBuffer())
    return { body, meta: await sharp(body).metadata() }
  }

  it('gives each parameter combination its dimensions and format, for every source format', async () => {
    const cases: [string, string, number, number, string][] = [
      ['jpeg', 'w=150', 150, 100, 'jpeg'],
      ['png', 'w=150&fm=webp', 150, 100, 'webp'],
      ['webp', 'h=100&fm=png', 150, 100, 'png'],
      ['gif', 'w=120&h=120&fit=crop&fm=gif', 120, 120, 'gif'],
      ['jpeg', 'w=120&h=120&fit=scale&fm=avif', 120, 120, 'heif'],
      ['jpeg', 'w=160&h=160&fit=fill', 160, 160, 'jpeg'],
      ['jpeg', 'w=640&fit=max', 300, 200, 'jpeg'],
      ['jpeg', 'w=600&fit=clip', 600, 400, 'jpeg'],
      ['jpeg', 'w=80&dpr=2&q=40', 160, 107, 'jpeg'],
      ['svg', 'w=240', 240, 160, 'png'],
    ]
    for (const [id, query, w, h, format] of cases) {
      const { meta } = await image(await get(serve(id, query)))
      expect([meta.width, meta.height, meta.format], `${id} ${query}`).toEqual([w, h, format])
    }
  })

  it('serves variants passive, with validators, and 304 on If-None-Match', async () => {
    const res = await get(serve('jpeg', 'w=160&fm=webp'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/webp')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('cache-control')).toBe('private, max-age=86400')
    expect(res.headers.get('last-modified')).toBeTruthy()
    expect(res.headers.get('vary')).toBeNull()
    const etag = res.headers.get('etag')!
    expect(etag).toMatch(/^"[\w-]+"$/)
    await res.arrayBuffer()
    const again = await get(serve('jpeg', 'w=160&fm=webp'), { 'if-none-match': etag })
    expect(again.status).toBe(304)
    // The same variant asked differently (dpr, order) is the same variant.
    expect((await get(serve('jpeg', 'fm=webp&w=80&dpr=2'), { 'if-none-match': etag })).status).toBe(304)
    // auto=format follows Accept and says so.
    const auto = await get(serve('jpeg', 'w=160&auto=format'), { accept: 'image/avif,image/webp,*/*' })
    expect(auto.headers.get('content-type')).toBe('image/webp')
    expect(auto.headers.get('vary')).toBe('Accept')
    await auto.arrayBuffer()
    const plain = await get(serve('jpeg', 'w=160&auto=format'), { accept: 'image/jpeg' })
    expect(plain.headers.get('content-type')).toBe('image/jpeg')
    await plain.arrayBuffer()
    // Without parameters: the original, as before.
    const original = await get(`/api/v1/mediaLibrary/serve-image/${sources.jpeg!.key}`)
    expect(Buffer.from(await original.arrayBuffer()).equals(sources.jpeg!.body)).toBe(true)
  })

  it('cuts rect and focal-point crops where they are asked for', async () => {
    const rect = await image(await get(serve('quad', 'rect=200,100,200,100&fm=png')))
    expect([rect.meta.width, rect.meta.height]).toEqual([200, 100])
    expect(near(await centre(rect.body), YELLOW)).toBe(true)
    const topLeft = await image(
      await get(serve('quad', 'w=100&h=100&fit=crop&crop=focalpoint&fp-x=0.1&fp-y=0.2&fm=png')),
    )
    // 400×200 covered by 100×100 is 200×100 scaled: the focal point picks the left or the right half.
    expect(near(await centre(topLeft.body, { x: 50, y: 20 }), RED)).toBe(true)
    expect(near(await centre(topLeft.body, { x: 50, y: 80 }), BLUE)).toBe(true)
    const bottomRight = await image(
      await get(serve('quad', 'w=100&h=100&fit=crop&crop=focalpoint&fp-x=0.9&fp-y=0.9&fm=png')),
    )
    expect(near(await centre(bottomRight.body, { x: 50, y: 20 }), GREEN)).toBe(true)
    expect(near(await centre(bottomRight.body, { x: 50, y: 80 }), YELLOW)).toBe(true)
    const topRight = await image(
      await get(serve('quad', 'w=100&h=200&fit=crop&crop=focalpoint&fp-x=0.8&fp-y=0&fm=png')),
    )
    expect([topRight.meta.width, topRight.meta.height]).toEqual([100, 200])
    const { data, info } = await sharp(topRight.body).raw().toBuffer({ resolveWithObject: true })
    const at = (y: number): Rgb => {
      const i = (y * info.width + 50) * info.channels
      return [data[i]!, data[i + 1]!, data[i + 2]!]
    }
    expect(near(at(20), GREEN) && near(at(180), YELLOW)).toBe(true)
  })

  it('refuses unknown and out-of-range parameters with a 400 naming them', async () => {
    const cases: [string, string][] = [
      ['w=0', 'w'],
      ['w=5000', 'w'],
      ['w=3000&dpr=2', 'w'],
      ['dpr=4', 'dpr'],
      ['fit=stretch', 'fit'],
      ['fm=tiff', 'fm'],
      ['q=101', 'q'],
      ['rect=1,2,3', 'rect'],
      ['rect=300,100,200,100', 'rect'],
      ['w=100&fp-x=0.5', 'fp-x'],
      ['fp-x=2&crop=focalpoint&fit=crop', 'fp-x'],
      ['blur=20', 'blur'],
    ]
    for (const [query, param] of cases) {
      const res = await get(serve('quad', query))
      expect(res.status, query).toBe(400)
      const body = (await res.json()) as { status: number; error_details: Record<string, string> }
      expect(body.status).toBe(400)
      expect(body.error_details[param], `${query}: ${JSON.stringify(body)}`).toBeTruthy()
    }
  })

  it('serves sizes outside the allow-list only with a valid signature', async () => {
    const path = serve('jpeg', 'w=123')
    const refused = await get(path)
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error_details: Record<string, string> }).error_details.w).toBeTruthy()
    const { secret } = await server.deps.imageSigning.signing(PROJECT)
    const signed = `${path}&s=${signVariantUrl(secret, path)}`
    expect((await image(await get(signed))).meta.width).toBe(123)
    const tampered = `${serve('jpeg', 'w=124')}&s=${signVariantUrl(secret, path)}`
    expect((await get(tampered)).status).toBe(403)
    const other = `${path}&s=${signVariantUrl('another-secret', path)}`
    expect((await get(other)).status).toBe(403)
  })

  it('applies named crops and the focal point by entry; a crop change gives a new variant', async () => {
    const patch = (value: unknown) =>
      request(server, 'PATCH', '/api/v1/mediaLibrary/quad', {
        token,
        body: { patches: [{ operation: 'setMetadataProperty', propertyName: 'crops', value }] },
      })
    expect(
      (
        await patch({
          crops: [{ name: 'square', x: 0, y: 100, width: 100, height: 100 }],
          focalPoint: { x: 350, y: 50 },
        })
      ).status,
    ).toBe(200)
    const byEntry = (q: string, headers: Record<string, string> = {}) =>
      get(`/api/v1/mediaLibrary/quad/image?${q}`, headers)
    const square = await byEntry('crop=square&w=64&fm=png')
    const first = await image(square)
    expect([first.meta.width, first.meta.height]).toEqual([64, 64])
    expect(near(await centre(first.body), BLUE)).toBe(true)
    const etag = square.headers.get('etag')!
    // Without crop: around the focal point (top right, green).
    const focal = await image(await byEntry('w=100&h=100&fm=png'))
    expect(near(await centre(focal.body, { x: 50, y: 20 }), GREEN)).toBe(true)
    const centred = await image(await byEntry('w=100&h=100&fm=png&fit=clip'))
    expect([centred.meta.width, centred.meta.height]).toEqual([100, 50])
    expect((await byEntry('crop=nope&w=64')).status).toBe(400)

    expect(
      (await patch({ crops: [{ name: 'square', x: 300, y: 100, width: 100, height: 100 }] })).status,
    ).toBe(200)
    const moved = await byEntry('crop=square&w=64&fm=png', { 'if-none-match': etag })
    expect(moved.status).toBe(200)
    expect(moved.headers.get('etag')).not.toBe(etag)
    expect(near(await centre(Buffer.from(await moved.arrayBuffer())), YELLOW)).toBe(true)
  })

  it('gives API tokens nothing of a revoked entry', async () => {
    await server.deps.library.patch(PROJECT, 'png', {
      patches: [{ operation: 'revokeAsset', note: 'expired' }],
    })
    expect((await get(serve('png', 'w=160'))).status).toBe(403)
    expect((await get('/api/v1/mediaLibrary/png/image?w=160')).status).toBe(403)
    await server.deps.library.patch(PROJECT, 'png', { patches: [{ operation: 'unrevokeAsset' }] })
    expect((await get(serve('png', 'w=160'))).status).toBe(200)
  })

  it('previews an external asset.url once, and remembers a 404 origin without asking again', async () => {
    const ext = await makeImage('jpeg', 240, 160, [0, 0, 200])
    media.routes.set(`/ok-${store}.jpg`, { body: ext, type: 'image/jpeg' })
    media.routes.set(`/gone-${store}.jpg`, { body: Buffer.from('no'), status: 404 })
    const entries = [
      ['ext-ok', media.url(`/ok-${store}.jpg`)],
      ['ext-gone', media.url(`/gone-${store}.jpg`)],
    ].map(([id, url]) => ({
      id,
      mediaType: 'image',
      asset: {
        key: `elsewhere/${id}.jpg`,
        url,
        size: 1,
        width: 240,
        height: 160,
        filename: 'x.jpg',
        mimeType: 'image/jpeg',
      },
      metadata: {},
    }))
    await request(server, 'POST', '/api/v1/import/mediaLibrary', {
      token,
      body: { mediaLibraryEntries: entries },
    })
    for (const w of [160, 320]) {
      const { meta } = await image(await get(`/api/v1/mediaLibrary/ext-ok/image?w=${w}&fit=clip&fm=webp`))
      expect([meta.width, meta.format]).toEqual([w, 'webp'])
    }
    // Thumbnails of it too, from the same fetched copy.
    const thumb = await get('/api/v1/mediaLibrary/ext-ok/thumbnail?w=160', { accept: 'image/webp' })
    expect((await image(thumb)).meta.width).toBe(160)
    expect(media.hits.get(`/ok-${store}.jpg`)).toBe(1)
    const gone = await get('/api/v1/mediaLibrary/ext-gone/thumbnail?w=160')
    expect(gone.status).toBe(404)
    await gone.arrayBuffer()
    for (let i = 0; i < 3; i++) {
      const res = await get(`/api/v1/mediaLibrary/ext-gone/image?w=160`)
      expect(res.status).toBe(404)
      await res.arrayBuffer()
    }
    expect(media.hits.get(`/gone-${store}.jpg`)).toBe(1)
  })

  it('generates a missing variant once for concurrent identical requests', async () => {
    const url = serve('quad', 'w=320&h=320&fit=crop&fm=webp')
    const answers = await Promise.all(Array.from({ length: 6 }, () => get(url)))
    const etags = new Set(answers.map((a) => a.headers.get('etag')))
    expect(answers.every((a) => a.status === 200)).toBe(true)
    expect(etags.size).toBe(1)
    await Promise.all(answers.map((a) => a.arrayBuffer()))
    const keys = await server.deps.blobs.derived(PROJECT).list('v/')
    expect(keys.filter((k) => k.endsWith('.webp')).length).toBeGreaterThan(0)
  })
})
