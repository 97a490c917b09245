import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type Config } from '../../src/config.js'
import { variantPrefix } from '../../src/media/thumbnail.service.js'
import { DIALECTS } from '../helpers/dialects.js'
import { startS3 } from '../helpers/s3.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const STORES = ['disk', 's3'] as const
const CASES = DIALECTS.flatMap((dialect) => STORES.map((store) => [dialect, store] as const))
const FFMPEG = '/usr/bin/ffmpeg'

/** A real 1-second MP4 made by ffmpeg itself: its test pattern, 320×240 at 10 frames a second. */
function makeVideo(): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'medialib-video-'))
  try {
    const file = path.join(dir, 'clip.mp4')
    execFileSync(FFMPEG, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=10',
      '-t',
      '1',
      '-pix_fmt',
      'yuv420p',
      file,
    ])
    return readFileSync(file)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const videoEntry = (id: string, key: string, size: number, mimeType = 'video/mp4') => ({
  id,
  mediaType: 'video',
  asset: {
    key,
    url: `https://cdn.example.test/${key}`,
    size,
    width: 320,
    height: 240,
    duration: 1,
    filename: `${id}.mp4`,
    mimeType,
  },
  metadata: {},
})

async function setUp(server: TestServer, video: Buffer) {
  await server.deps.blobs.files('default').put('v/clip.mp4', Readable.from([video]))
  await server.deps.blobs
    .files('default')
    .put('v/broken.mp4', Readable.from([Buffer.from('not a video at all')]))
  const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
    token: server.token,
    body: {
      mediaLibraryEntries: [
        videoEntry('clip', 'v/clip.mp4', video.length),
        videoEntry('broken', 'v/broken.mp4', 18),
      ],
    },
  })
  const results = (res.body as { mediaLibraryEntries: { ok: boolean }[] }).mediaLibraryEntries
  expect(
    results.every((r) => r.ok),
    JSON.stringify(results),
  ).toBe(true)
}

describe.each(CASES)('video poster frames (%s, %s storage)', (dialect, store) => {
  let server: TestServer
  let s3: Awaited<ReturnType<typeof startS3>> | undefined
  const get = (url: string, headers: Record<string, string> = {}) =>
    server.fetch(url, { headers: { authorization: `Bearer ${server.token}`, ...headers } })

  beforeAll(async () => {
    const config: Partial<Config> = { variants: { ...DEFAULT_CONFIG.variants, ffmpegPath: FFMPEG } }
    if (store === 's3') {
      s3 = await startS3()
      config.storage = s3.storage
    }
    server = await startTestServer(dialect, config, { listen: true })
    await setUp(server, makeVideo())
  })
  afterAll(async () => {
    await server?.close()
    await s3?.close()
  })

  it('gives a video entry a thumbnail from its first frame, kept in the derived namespace', async () => {
    const res = await get('/api/v1/mediaLibrary/clip/thumbnail?w=160', { accept: 'image/webp' })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/webp')
    const body = Buffer.from(await res.arrayBuffer())
    const meta = await sharp(body).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 160, 120])
    // testsrc's first frame: colour bars, so the thumbnail is not one flat colour.
    const stats = await sharp(body).stats()
    expect(stats.channels.some((c) => c.max - c.min > 100)).toBe(true)
    const derived = await server.deps.blobs.derived('default').list(variantPrefix('v/clip.mp4'))
    expect(derived.map((k) => k.split('/').pop()).sort()).toEqual(['poster.png', 'w160.webp'])
    // Another width comes from the kept poster.
    const jpeg = await get('/api/v1/mediaLibrary/clip/thumbnail?w=320', { accept: 'image/jpeg' })
    expect(jpeg.status).toBe(200)
    const big = await sharp(Buffer.from(await jpeg.arrayBuffer())).metadata()
    expect([big.format, big.width, big.height]).toEqual(['jpeg', 320, 240])
  })

  it('answers 422 in the error envelope when no frame can be extracted', async () => {
    const res = await get('/api/v1/mediaLibrary/broken/thumbnail?w=160')
    expect(res.status).toBe(422)
    const body = (await res.json()) as { status: number; error_details: { message: string } }
    expect(body.status).toBe(422)
    expect(body.error_details.message).toMatch(/No poster frame could be extracted/)
  })
})

describe.each(DIALECTS)('video thumbnails without a frame extractor (%s)', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    // Real detection: nothing answers at this path, so the server starts without posters.
    server = await startTestServer(dialect, {
      variants: { ...DEFAULT_CONFIG.variants, ffmpegPath: '/nonexistent/ffmpeg' },
    })
    await setUp(server, makeVideo())
  })
  afterAll(async () => server?.close())

  it('answers 404 (the UI shows the typed placeholder) and derives nothing', async () => {
    const res = await request(server, 'GET', '/api/v1/mediaLibrary/clip/thumbnail?w=160', {
      token: server.token,
    })
    expect(res.status).toBe(404)
    expect(JSON.stringify(res.body)).toMatch(/no frame extractor is available/)
    expect(await server.deps.blobs.derived('default').list('')).toEqual([])
  })
})
