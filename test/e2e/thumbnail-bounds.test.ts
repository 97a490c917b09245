import { Readable } from 'node:stream'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { startStorage, STORAGES, type TestStorage } from '../helpers/s3.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

/**
 * A small SVG that is expensive to rasterise at any scale: 100 full-canvas, blurred, half-transparent
 * rectangles (`<use>` of `<use>`), on a 10000×10000 canvas. Even at thumbnail scale it takes about 1.9 s
 * on this 2-core machine when idle (64 rectangles took 1.5 s, under the old 2 s limit: the test then
 * passed only under load), so the 1 s limit of this test is always exceeded. librsvg renders the whole
 * canvas before libvips can check the limit, so the 422 comes when that render ends.
 */
function pathologicalSvg(): Buffer {
  let defs =
    '<filter id="f"><feGaussianBlur stdDeviation="20"/></filter>' +
    '<g id="a0"><rect width="10000" height="10000" fill="red" opacity="0.5" filter="url(#f)"/></g>'
  for (let i = 1; i <= 2; i++) {
    defs += `<g id="a${i}">${`<use href="#a${i - 1}"/>`.repeat(10)}</g>`
  }
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="10000" height="10000"><defs>${defs}</defs><use href="#a2"/></svg>`,
  )
}

const photoAsset = (key: string, size: number) => ({
  key,
  url: `https://cdn.example.com/${key}`,
  size,
  width: 1600,
  height: 1200,
  filename: 'photo.jpg',
  mimeType: 'image/jpeg',
})

/**
 * Issue 13, finding 10 (second half): a 534-byte SVG took 48.7 s to rasterise and other entries' thumbnails
 * waited behind it. Now its own thumbnail fails with a clear 422 after the time limit, and no other entry's
 * thumbnail (same project or another) waits more than a second longer than it takes alone.
 */
describe.each(DIALECTS)('thumbnails are bounded in time and shared fairly (%s)', (dialect) => {
  describe.each(STORAGES)('on %s storage', (storageName) => {
    let storage: TestStorage
    let server: TestServer
    let otherToken: string
    const thumb = (id: string, w: number, token = server.token) =>
      server.fetch(`/api/v1/mediaLibrary/${id}/thumbnail?w=${w}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'image/webp' },
      })
    const timed = async (id: string, w: number, token?: string) => {
      const started = performance.now()
      const res = await thumb(id, w, token)
      const body = Buffer.from(await res.arrayBuffer())
      return { status: res.status, body, ms: performance.now() - started }
    }

    beforeAll(async () => {
      storage = await startStorage(storageName)
      server = await startTestServer(dialect, {
        ...storage.config,
        limits: { ...DEFAULT_CONFIG.limits, imageTimeoutSeconds: 1 },
      })
      otherToken = await server.createToken('other', ['public-api:read', 'public-api:write'])
      const jpeg = await sharp({
        create: { width: 1600, height: 1200, channels: 3, background: '#336699' },
      })
        .jpeg()
        .toBuffer()
      const svg = pathologicalSvg()
      // Each blob in the namespace of the project whose entry names it ('default' is the server's token's).
      const put = (project: string, key: string, body: Buffer, contentType: string) =>
        server.deps.blobs.files(project).put(key, Readable.from([body]), { contentType })
      for (const key of ['b/photo-a.jpg', 'b/photo-b.jpg', 'b/photo-d.jpg'])
        await put('default', key, jpeg, 'image/jpeg')
      await put('other', 'b/photo-c.jpg', jpeg, 'image/jpeg')
      await put('default', 'b/bomb.svg', svg, 'image/svg+xml')
      for (const key of ['b/bomb-x.svg', 'b/bomb-y.svg']) await put('other', key, svg, 'image/svg+xml')
      const bombOf = (id: string, key: string) =>
        imageEntry({
          id,
          asset: { ...photoAsset(key, svg.length), filename: 'bomb.svg', mimeType: 'image/svg+xml' },
        })
      const mine = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
        token: server.token,
        body: {
          mediaLibraryEntries: [
            bombOf('bomb', 'b/bomb.svg'),
            imageEntry({ id: 'photo-a', asset: photoAsset('b/photo-a.jpg', jpeg.length) }),
            imageEntry({ id: 'photo-b', asset: photoAsset('b/photo-b.jpg', jpeg.length) }),
            imageEntry({ id: 'photo-d', asset: photoAsset('b/photo-d.jpg', jpeg.length) }),
          ],
        },
      })
      const theirs = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
        token: otherToken,
        body: {
          mediaLibraryEntries: [
            imageEntry({ id: 'photo-c', asset: photoAsset('b/photo-c.jpg', jpeg.length) }),
            bombOf('bomb-x', 'b/bomb-x.svg'),
            bombOf('bomb-y', 'b/bomb-y.svg'),
          ],
        },
      })
      for (const res of [mine, theirs]) {
        const results = (res.body as { mediaLibraryEntries: { ok: boolean }[] }).mediaLibraryEntries
        expect(results.every((r) => r.ok)).toBe(true)
      }
    })
    afterAll(async () => {
      await server?.close()
      await storage?.close()
    })

    it('fails the pathological SVG with a 422 and delays no other thumbnail by more than a second', async () => {
      // Alone: how long one photo thumbnail takes (sharp loaded, nothing else running).
      await timed('photo-a', 160)
      const alone = await timed('photo-a', 640)
      expect(alone.status).toBe(200)

      const bomb = timed('bomb', 320)
      await new Promise((r) => setTimeout(r, 200))
      const [same, other] = await Promise.all([timed('photo-b', 640), timed('photo-c', 640, otherToken)])
      const failed = await bomb
      console.log(
        `${dialect}/${storageName}: photo alone ${alone.ms.toFixed(0)} ms; beside the SVG: same project ` +
          `${same.ms.toFixed(0)} ms, other project ${other.ms.toFixed(0)} ms; the SVG's 422 after ${failed.ms.toFixed(0)} ms`,
      )
      expect(same.status).toBe(200)
      expect(other.status).toBe(200)
      expect((await sharp(same.body).metadata()).width).toBe(640)
      expect(same.ms).toBeLessThan(alone.ms + 1_000)
      expect(other.ms).toBeLessThan(alone.ms + 1_000)

      expect(failed.status).toBe(422)
      expect(JSON.parse(failed.body.toString())).toEqual({
        status: 422,
        error: 'Unprocessable Entity',
        error_details: {
          message: 'The stored original took longer than 1 s to render: it has no thumbnail',
        },
      })
      // Its own answer comes within a few seconds of the limit, not after the whole rendering.
      expect(failed.ms).toBeLessThan(30_000)
    }, 60_000)

    it("one project's pathological originals cannot take the whole pool from another project", async () => {
      await timed('photo-a', 320)
      const alone = await timed('photo-a', 1280)
      // Two of project other's SVGs at once: with a pool of two slots, they could fill it.
      const bombs = Promise.all([timed('bomb-x', 320, otherToken), timed('bomb-y', 320, otherToken)])
      await new Promise((r) => setTimeout(r, 200))
      const mine = await timed('photo-d', 1280)
      const failed = await bombs
      console.log(
        `${dialect}/${storageName}: photo alone ${alone.ms.toFixed(0)} ms, beside two SVGs of another project ` +
          `${mine.ms.toFixed(0)} ms; their 422s after ${failed.map((f) => f.ms.toFixed(0)).join(', ')} ms`,
      )
      expect(mine.status).toBe(200)
      expect(mine.ms).toBeLessThan(alone.ms + 1_000)
      expect(failed.map((f) => f.status)).toEqual([422, 422])
    }, 60_000)
  })
})
