import { Readable } from 'node:stream'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

describe.each(DIALECTS)('a variant that cannot be rendered (%s)', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { listen: true })
    // A real JPEG cut off after its first quarter: the header reads, the scan data does not.
    const jpeg = await sharp({
      create: {
        width: 640,
        height: 480,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .jpeg()
      .toBuffer()
    const corrupt = jpeg.subarray(0, Math.floor(jpeg.length / 4))
    await server.deps.blobs.files('default').put('bad/cut.jpg', Readable.from([corrupt]))
    const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
      token: server.token,
      body: {
        mediaLibraryEntries: [
          {
            id: 'cut',
            mediaType: 'image',
            asset: {
              key: 'bad/cut.jpg',
              url: 'https://cdn.example.test/bad/cut.jpg',
              size: corrupt.length,
              width: 640,
              height: 480,
              filename: 'cut.jpg',
              mimeType: 'image/jpeg',
            },
            metadata: {},
          },
        ],
      },
    })
    expect((res.body as { mediaLibraryEntries: { ok: boolean }[] }).mediaLibraryEntries[0]!.ok).toBe(true)
  })
  afterAll(async () => server?.close())

  it.each([
    ['serve-image', '/api/v1/mediaLibrary/serve-image/bad/cut.jpg?w=320&fm=webp'],
    ['the entry route', '/api/v1/mediaLibrary/cut/image?w=320&fm=webp'],
  ])('answers 422 in the error envelope by %s, and caches nothing', async (_, url) => {
    for (let i = 0; i < 2; i++) {
      const res = await request(server, 'GET', url, { token: server.token })
      expect(res.status).toBe(422)
      expect(res.body).toMatchObject({
        status: 422,
        error: 'Unprocessable Entity',
        error_details: { message: expect.stringMatching(/cannot be decoded as an image/) },
      })
    }
    expect(await server.deps.blobs.derived('default').list('v/')).toEqual([])
  })
})
