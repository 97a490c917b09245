import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { makeImage } from '../helpers/media-server.js'
import { startStorage, STORAGES, type TestStorage } from '../helpers/s3.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

/** Documents whose script, if a browser ran it in our origin, could act with an editor's cookie. */
export const ACTIVE = {
  xhtml: Buffer.from(
    '<html xmlns="http://www.w3.org/1999/xhtml"><body><script>document.title = "ran"</script></body></html>',
  ),
  html: Buffer.from('<!doctype html><html><body><script>document.title = "ran"</script></body></html>'),
  svg: Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>document.title = "ran"</script><rect width="10" height="10"/></svg>',
  ),
}

const fileEntry = (id: string, key: string, mimeType: string, filename = 'page.xhtml') => ({
  id,
  mediaType: 'file',
  asset: { key, url: `https://cdn.example.com/${key}`, size: 100, filename, mimeType },
  metadata: {},
})

const svgEntry = (id: string, key: string, mimeType: string) =>
  imageEntry({
    id,
    asset: {
      key,
      url: `https://cdn.example.com/${key}`,
      size: 100,
      width: 10,
      height: 10,
      filename: 'logo.svg',
      mimeType,
    },
  })

/**
 * Issue 13, findings 1, 6 and 7 (mimeType): stored files are passive whatever their stored type, a mimeType
 * that no header can carry is refused on write (and sanitized on read for values stored before), and revoked
 * entries give API tokens no thumbnail.
 */
describe.each(DIALECTS)('stored files are passive (%s)', (dialect) => {
  describe.each(STORAGES)('on %s storage', (storageName) => {
    let storage: TestStorage
    let server: TestServer
    let png: Buffer
    const put = (key: string, body: Buffer, contentType: string) =>
      server.deps.blobs.files('default').put(key, Readable.from([body]), { contentType })
    const serve = (key: string, headers: Record<string, string> = {}) =>
      server.fetch(`/api/v1/mediaLibrary/serve-image/${key}`, {
        headers: { authorization: `Bearer ${server.token}`, ...headers },
      })
    const importEntries = async (entries: unknown[]) => {
      const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
        token: server.token,
        body: { mediaLibraryEntries: entries },
      })
      expect(res.status).toBe(200)
      return (
        res.body as {
          mediaLibraryEntries: { ok: boolean; status: number; error_details?: { message: string } }[]
        }
      ).mediaLibraryEntries
    }
    /** Writes a stored asset's mimeType as a version before write validation could have stored it. */
    const storeLegacyType = async (id: string, mimeType: string) => {
      const entry = await server.deps.library.getOrFail('default', id)
      await server.deps.database.db
        .updateTable('media_entries')
        .set({ asset: JSON.stringify({ ...entry.asset, mimeType }) })
        .where('project', '=', 'default')
        .where('id', '=', id)
        .execute()
    }

    beforeAll(async () => {
      storage = await startStorage(storageName)
      server = await startTestServer(dialect, storage.config)
      png = await makeImage('png', 64, 48)
      await put('files/page.xhtml', ACTIVE.xhtml, 'application/xml')
      await put('files/page.html', ACTIVE.html, 'text/html')
      await put('files/logo.svg', ACTIVE.svg, 'image/svg+xml')
      await put('files/p.png', png, 'image/png')
      const results = await importEntries([
        fileEntry('xhtml', 'files/page.xhtml', 'application/xml'),
        fileEntry('html', 'files/page.html', 'text/html', 'page.html'),
        svgEntry('svg-upper', 'files/logo.svg', 'IMAGE/SVG+XML'),
        imageEntry({
          id: 'png',
          asset: {
            key: 'files/p.png',
            url: 'https://cdn.example.com/p.png',
            size: png.length,
            width: 64,
            height: 48,
            filename: 'p.png',
            mimeType: 'image/png',
          },
        }),
        fileEntry('text', 'files/t.txt', 'Text/Plain; Charset="UTF-8"', 't.txt'),
      ])
      expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true])
    })
    afterAll(async () => {
      await server?.close()
      await storage?.close()
    })

    it('refuses a mimeType that is not a plain RFC 6838 type, per entry, naming /asset/mimeType', async () => {
      const bad = [
        'text/html\r\nX-Injected: 1',
        'image/png☃',
        'image/svg+xml; charset=utf-8',
        'image/svg+xml; foo=bar',
        'text/html; charset=utf-8\r\n',
        'text/html; charset=ü',
        'image',
        'image/',
        '/png',
        ' image/png',
        'image/png ',
        'image/png\u0000',
        'image/p\tng',
        '',
      ]
      const results = await importEntries([
        ...bad.map((mimeType, i) => fileEntry(`bad-${i}`, `files/bad-${i}.bin`, mimeType)),
        fileEntry('good-among-bad', 'files/good.bin', 'application/octet-stream'),
      ])
      expect(results.map((r) => [r.ok, r.status])).toEqual([...bad.map(() => [false, 400]), [true, 200]])
      for (const r of results.slice(0, bad.length)) {
        expect(r.error_details?.message).toMatch(/^Invalid entry: '\/asset\/mimeType' must /)
      }
      for (let i = 0; i < bad.length; i++) {
        const res = await request(server, 'GET', `/api/v1/mediaLibrary/bad-${i}`, { token: server.token })
        expect(res.status).toBe(404)
      }
    })

    it('stores the type lower-cased, with charset only on text/*', async () => {
      expect((await server.deps.library.getOrFail('default', 'svg-upper')).asset.mimeType).toBe(
        'image/svg+xml',
      )
      expect((await server.deps.library.getOrFail('default', 'text')).asset.mimeType).toBe(
        'text/plain; charset=utf-8',
      )
    })

    it('refuses the same values in PATCH replaceAsset with a 400 naming /asset/mimeType, changing nothing', async () => {
      const before = await server.deps.library.getOrFail('default', 'html')
      for (const mimeType of ['text/html\r\nX-Injected: 1', 'image/png☃', 'image/svg+xml; charset=utf-8']) {
        const res = await request(server, 'PATCH', '/api/v1/mediaLibrary/html', {
          token: server.token,
          body: { patches: [{ operation: 'replaceAsset', value: { ...before.asset, mimeType } }] },
        })
        expect(res.status).toBe(400)
        expect(JSON.stringify(res.body)).toContain('/asset/mimeType')
      }
      const after = await server.deps.library.getOrFail('default', 'html')
      expect(after.version).toBe(before.version)
      expect(after.asset).toEqual(before.asset)
    })

    const expectPassive = (res: Response, type: string, disposition: 'inline' | 'attachment') => {
      expect(res.headers.get('content-type')).toBe(type)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp).toMatch(/^default-src 'none';/)
      expect(csp).toMatch(/; sandbox$/)
      expect(csp).not.toMatch(/script-src/)
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-site')
      expect(res.headers.get('content-disposition')?.split(';')[0]).toBe(disposition)
    }

    it('serves only raster images inline; XHTML, HTML and SVG as sandboxed attachments', async () => {
      const png = await serve('files/p.png')
      expect(png.status).toBe(200)
      expectPassive(png, 'image/png', 'inline')
      const cases: [string, string][] = [
        ['files/page.xhtml', 'application/xml'],
        ['files/page.html', 'text/html'],
        ['files/logo.svg', 'image/svg+xml'],
      ]
      for (const [key, type] of cases) {
        const res = await serve(key)
        expect(res.status, key).toBe(200)
        expectPassive(res, type, 'attachment')
        await res.arrayBuffer()
      }
      // A range answer carries the same headers.
      const partial = await serve('files/logo.svg', { range: 'bytes=0-9' })
      expect(partial.status).toBe(206)
      expectPassive(partial, 'image/svg+xml', 'attachment')
    })

    it('serves values stored before validation without a 500, under their canonical type', async () => {
      const legacy: [string, string][] = [
        ['text/html\r\nX-Injected: 1', 'application/octet-stream'],
        ['image/png☃', 'application/octet-stream'],
        ['IMAGE/SVG+XML; charset=utf-8', 'image/svg+xml'],
        ['Text/HTML ; charset=utf-8', 'text/html'],
        ['IMAGE/PNG', 'image/png'],
      ]
      for (const [stored, served] of legacy) {
        await storeLegacyType('svg-upper', stored)
        const res = await serve('files/logo.svg')
        expect(res.status, stored).toBe(200)
        expect(res.headers.get('x-injected')).toBeNull()
        expectPassive(res, served, served === 'image/png' ? 'inline' : 'attachment')
        await res.arrayBuffer()
      }
      await storeLegacyType('svg-upper', 'image/svg+xml')
    })

    it('gives API tokens no thumbnail of a revoked entry; the UI session still sees it', async () => {
      const thumb = (headers: Record<string, string>) =>
        server.fetch(`/api/v1/mediaLibrary/png/thumbnail?w=160`, {
          headers: { accept: 'image/webp', ...headers },
        })
      const bearer = { authorization: `Bearer ${server.token}` }
      const fresh = await thumb(bearer)
      expect(fresh.status).toBe(200)
      expectPassive(fresh, 'image/webp', 'inline')
      await fresh.arrayBuffer()

      await server.deps.library.patch('default', 'png', {
        patches: [{ operation: 'revokeAsset', note: 'rights expired' }],
      })
      for (const w of [160, 320, 1280]) {
        const res = await server.fetch(`/api/v1/mediaLibrary/png/thumbnail?w=${w}`, {
          headers: bearer,
        })
        expect(res.status, `w=${w}`).toBe(403)
        expect(await res.json()).toEqual({
          status: 403,
          error: 'Forbidden',
          error_details: { message: 'The requested image is revoked or marked as invalid' },
        })
      }
      // The bare token in the Authorization header is an API token too.
      expect((await thumb({ authorization: server.token })).status).toBe(403)
      expect((await serve('files/p.png')).status).toBe(403)

      const login = await server.fetch(`/ui/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-medialib-ui': '1' },
        body: JSON.stringify({ token: server.token }),
      })
      expect(login.status).toBe(200)
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
      const forEditor = await thumb({ cookie })
      expect(forEditor.status).toBe(200)
      expectPassive(forEditor, 'image/webp', 'inline')
      await forEditor.arrayBuffer()

      await server.deps.library.patch('default', 'png', { patches: [{ operation: 'unrevokeAsset' }] })
      expect((await thumb(bearer)).status).toBe(200)
    })
  })
})
