import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { makeImage } from '../helpers/media-server.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import { launchBrowser, type TestBrowser } from './browser.js'

/**
 * The attack of issue 13, finding 1: a stored document whose script, run in medialib's origin with a signed-in
 * editor's cookie, reads the session and PATCHes an entry, and marks the page. Opened by the editor in
 * Chromium, none of it may happen.
 */
const SCRIPT = `
  document.title = 'ran';
  localStorage.setItem('medialib-xss', 'ran');
  fetch('/ui/session', { credentials: 'include' }).then(function () {
    return fetch('/api/v1/mediaLibrary/target', {
      method: 'PATCH',
      credentials: 'include',
      headers: { 'content-type': 'application/json', 'x-medialib-ui': '1' },
      body: JSON.stringify({ patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'pwned' }] })
    });
  });
`
const DOCUMENTS = {
  xhtml: `<html xmlns="http://www.w3.org/1999/xhtml"><body><p>x</p><script><![CDATA[${SCRIPT}]]></script></body></html>`,
  html: `<!doctype html><html><body><p>x</p><script>${SCRIPT}</script></body></html>`,
  svg: `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/><script><![CDATA[${SCRIPT}]]></script></svg>`,
}

/** [entry id, key, document, mimeType as stored] – the last three written as a version before validation could. */
const SERVED: [string, string, keyof typeof DOCUMENTS, string][] = [
  ['xhtml-xml', 'x/page.xhtml', 'xhtml', 'application/xml'],
  ['xhtml-html', 'x/page2.xhtml', 'xhtml', 'application/xhtml+xml'],
  ['html', 'x/page.html', 'html', 'text/html'],
  ['svg-upper', 'x/logo.svg', 'svg', 'IMAGE/SVG+XML'],
  ['svg-params', 'x/logo2.svg', 'svg', 'image/svg+xml; charset=utf-8'],
  ['html-crlf', 'x/page3.html', 'html', 'text/html\r\nX-Injected: 1'],
]

/** Runs in the page: the marker the script would have left in this origin's storage. */
function markerOf(): string | null {
  const g = globalThis as unknown as { localStorage: { getItem(key: string): string | null } }
  return g.localStorage.getItem('medialib-xss')
}

describe.each(DIALECTS)(
  'a signed-in editor opening stored files in Chromium runs no script (%s)',
  (dialect) => {
    let server: TestServer
    let browser: TestBrowser

    beforeAll(async () => {
      server = await startTestServer(dialect, {}, { listen: true })
      const png = await makeImage('png', 40, 30)
      await server.deps.blobs
        .files('default')
        .put('x/p.png', Readable.from([png]), { contentType: 'image/png' })
      const entries: unknown[] = [imageEntry({ id: 'target', metadata: { title: 'Original' } })]
      entries.push(
        imageEntry({
          id: 'png',
          asset: {
            key: 'x/p.png',
            url: 'https://cdn.example.com/p.png',
            size: png.length,
            width: 40,
            height: 30,
            filename: 'p.png',
            mimeType: 'image/png',
          },
        }),
      )
      for (const [id, key, doc] of SERVED) {
        const body = Buffer.from(DOCUMENTS[doc])
        await server.deps.blobs
          .files('default')
          .put(key, Readable.from([body]), { contentType: 'application/octet-stream' })
        entries.push({
          id,
          mediaType: 'file',
          asset: {
            key,
            url: `https://cdn.example.com/${key}`,
            size: body.length,
            filename: key.slice(2),
            mimeType: 'application/octet-stream',
          },
          metadata: {},
        })
      }
      const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
        token: server.token,
        body: { mediaLibraryEntries: entries },
      })
      expect(
        (res.body as { mediaLibraryEntries: { ok: boolean }[] }).mediaLibraryEntries.every((r) => r.ok),
      ).toBe(true)
      // The stored types as a write token could set them before validation (or as an upgrade finds them).
      for (const [id, , , mimeType] of SERVED) {
        const entry = await server.deps.library.getOrFail('default', id)
        await server.deps.database.db
          .updateTable('media_entries')
          .set({ asset: JSON.stringify({ ...entry.asset, mimeType }) })
          .where('project', '=', 'default')
          .where('id', '=', id)
          .execute()
      }
      browser = await launchBrowser()
      const login = await browser.page.request.post(`${server.baseUrl}/ui/login`, {
        data: { token: server.token },
        headers: { 'x-medialib-ui': '1' },
      })
      expect(login.status()).toBe(200)
    })
    afterAll(async () => {
      await browser?.close()
      await server?.close()
    })

    it('opens each served document without running its script; only the PNG is shown inline', async () => {
      const { page } = browser
      // The session works: the editor is signed in, so a script in this origin could act as them.
      await page.goto(`${server.baseUrl}/`)
      const session = await page.request.get(`${server.baseUrl}/ui/session`)
      expect(session.status()).toBe(200)

      const outcomes: string[] = []
      for (const [id, key] of SERVED) {
        const url = `${server.baseUrl}/api/v1/mediaLibrary/serve-image/${key}`
        const download = page.waitForEvent('download', { timeout: 3_000 }).catch(() => undefined)
        // An attachment is not rendered: Chromium downloads it and the navigation is aborted.
        const navigation = await page.goto(url).catch((err: Error) => err)
        await page.waitForTimeout(500)
        const downloaded = (await download) !== undefined
        outcomes.push(`${id}: ${navigation instanceof Error && downloaded ? 'downloaded' : 'rendered'}`)
      }
      // First what matters: nothing ran with the editor's cookie (the target entry is untouched)…
      const target = await server.deps.library.getOrFail('default', 'target')
      expect(target.metadata.title).toBe('Original')
      expect(target.version).toBe(1)
      // …then how: every one of them was a download, not a page.
      expect(outcomes).toEqual(SERVED.map(([id]) => `${id}: downloaded`))
      const png = await page.goto(`${server.baseUrl}/api/v1/mediaLibrary/serve-image/x/p.png`)
      expect(png?.status()).toBe(200)
      expect(png?.headers()['content-type']).toBe('image/png')

      // Back in the UI's origin: no marker there either.
      await page.goto(`${server.baseUrl}/`)
      expect(await page.title()).not.toBe('ran')
      expect(await page.evaluate(markerOf)).toBeNull()
    }, 90_000)
  },
)
