import { createHash } from 'node:crypto'
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Request as PageRequest } from 'playwright-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalizeMediaTypes } from '../../src/media/media-types/media-types-config.js'
import { DIALECTS } from '../helpers/dialects.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { sha256Of, writeRandomFile } from '../helpers/tus.js'
import { imagesComplete, launchBrowser, type TestBrowser } from './browser.js'

const API = '/api/2026-07'
const PROJECT = 'uploads'
const MB = 1024 * 1024
const BIG = 24 * MB
const MEDIA_TYPES = [
  {
    handle: 'image',
    type: 'mediaImage',
    info: { label: 'Image' },
    metadata: [
      { handle: 'title', type: 'li-text', config: { index: true } },
      { handle: 'caption', type: 'li-text' },
    ],
    uploadRestrictions: { maxFileSize: '2mb', allowedMimeTypes: ['image/jpeg', 'image/png'] },
  },
  {
    handle: 'file',
    type: 'mediaFile',
    info: { label: 'File' },
    metadata: [{ handle: 'title', type: 'li-text', config: { index: true } }],
    uploadRestrictions: { maxFileSize: '100mb' },
  },
]
/** Where the screenshots are copied for the closing note (besides test-artifacts/). */
const SHOTS = process.env.MEDIALIB_SHOTS_DIR

/*
 * Functions that run inside the page (Playwright serialises them; the tests compile without the DOM
 * library, so the page's globals are typed loosely here).
 */
interface PageDom {
  document: {
    createElement(tag: string): PageElement
    body: { append(e: PageElement): void }
    querySelector(selector: string): PageElement | null
  }
  localStorage: { length: number; key(i: number): string | null; getItem(k: string): string | null }
  DataTransfer: new () => { items: { add(file: unknown): void } }
}
interface PageElement {
  id: string
  type: string
  multiple: boolean
  hidden: boolean
  files: ArrayLike<unknown>
  remove(): void
}

/** A file input outside the app, for the test to hand real files from disk to the page. */
function addTestPicker(): void {
  const g = globalThis as unknown as PageDom
  g.document.querySelector('#test-picker')?.remove()
  const input = g.document.createElement('input')
  input.id = 'test-picker'
  input.type = 'file'
  input.multiple = true
  input.hidden = true
  g.document.body.append(input)
}

/** A DataTransfer holding the test picker's files, as a drag from the desktop carries them. */
function dataTransferOfPicker() {
  const g = globalThis as unknown as PageDom
  const transfer = new g.DataTransfer()
  for (const file of Array.from(g.document.querySelector('#test-picker')!.files)) transfer.items.add(file)
  return transfer
}

/** tus-js-client's stored upload URLs (localStorage `tus::<fingerprint>::<id>`). */
function storedUploadUrls(): string[] {
  const g = globalThis as unknown as PageDom
  const urls: string[] = []
  for (let i = 0; i < g.localStorage.length; i++) {
    const key = g.localStorage.key(i)!
    if (key.startsWith('tus::')) urls.push(JSON.parse(g.localStorage.getItem(key)!).uploadUrl)
  }
  return urls
}

describe.each(DIALECTS)('uploading from the library page in Chromium (%s)', (dialect) => {
  let server: TestServer
  let b: TestBrowser
  let token: string
  let dir: string
  const files: Record<string, { path: string; sha: string; size: number }> = {}
  const shots: string[] = []
  const shot = async (name: string) => {
    const file = await b.screenshot(`upload-${name}-${dialect}`)
    shots.push(file)
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true })
      copyFileSync(file, path.join(SHOTS, path.basename(file)))
    }
  }
  const api = (p: string, init: RequestInit = {}) =>
    fetch(`${server.baseUrl}${p}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
    })
  const offsetOf = async (url: string) => {
    const res = await api(new URL(url).pathname, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } })
    expect(res.status).toBe(200)
    return Number(res.headers.get('upload-offset'))
  }
  const row = (name: string) => b.page.locator(`.upload-item[data-file="${name}"]`)

  /** Drops files from disk onto the drop zone: real drag events carrying real File objects. */
  const dropFiles = async (names: string[]) => {
    await b.page.evaluate(addTestPicker)
    await b.page.setInputFiles(
      '#test-picker',
      names.map((n) => files[n]!.path),
    )
    const dataTransfer = await b.page.evaluateHandle(dataTransferOfPicker)
    for (const type of ['dragenter', 'dragover', 'drop']) {
      await b.page.dispatchEvent('.dropzone', type, { dataTransfer })
    }
  }

  const writeFile = (name: string, bytes: Buffer) => {
    const file = path.join(dir, name)
    writeFileSync(file, bytes)
    files[name] = { path: file, sha: createHash('sha256').update(bytes).digest('hex'), size: bytes.length }
  }

  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { listen: true })
    await server.deps.projects.create(PROJECT, normalizeMediaTypes(MEDIA_TYPES))
    token = await server.createToken(PROJECT, ['public-api:read', 'public-api:write'])
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-upload-ui-'))
    const gradient = (rgb: number[]) =>
      sharp({
        create: { width: 1200, height: 800, channels: 3, background: { r: rgb[0]!, g: rgb[1]!, b: rgb[2]! } },
      }).composite([
        {
          input: Buffer.from(
            '<svg width="1200" height="800"><circle cx="600" cy="400" r="300" fill="white"/></svg>',
          ),
        },
      ])
    writeFile('harbour.jpg', await gradient([230, 120, 40]).jpeg({ quality: 85 }).toBuffer())
    writeFile('pier.png', await gradient([40, 110, 200]).png().toBuffer())
    writeFile('wave.gif', await gradient([40, 140, 60]).gif().toBuffer())
    // A JPEG's first bytes, and 3 MB: larger than the image type's 2 MB.
    writeFile('huge.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3 * MB, 7)]))
    for (const [name, bytes] of [
      ['big.bin', BIG],
      ['other.bin', 12 * MB],
    ] as const) {
      const file = path.join(dir, name)
      files[name] = { path: file, sha: await writeRandomFile(file, bytes), size: bytes }
    }
    // The same modification time on every run: it is part of the file's fingerprint for resuming.
    for (const f of Object.values(files)) utimesSync(f.path, new Date('2026-11-01'), new Date('2026-11-01'))
    b = await launchBrowser()
    const login = await b.page.request.post(`${server.baseUrl}/ui/login`, {
      data: { token },
      headers: { 'x-medialib-ui': '1' },
    })
    expect(login.status()).toBe(200)
  })
  afterAll(async () => {
    await b?.close()
    await server?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('uploads 3 dropped files, resumes the large one after a reload mid-way, and edits the new entry', async () => {
    // Uploads at about 3 MB/s, so that the reload meets the 24 MB file mid-way.
    const cdp = await b.context.newCDPSession(b.page)
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 3 * MB,
    })
    await b.page.goto(`${server.baseUrl}/`)
    await b.page.getByRole('heading', { name: 'Library' }).waitFor()
    await expect.poll(() => b.page.locator('.dropzone .hint').textContent()).toContain('Image: up to 2.0 MB')

    await dropFiles(['harbour.jpg', 'pier.png', 'big.bin'])
    await expect.poll(() => b.page.locator('.upload-item').count()).toBe(3)
    expect(await row('harbour.jpg').getByLabel('Media type').inputValue()).toBe('image')
    expect(await row('pier.png').getByLabel('Media type').inputValue()).toBe('image')
    expect(await row('big.bin').getByLabel('Media type').inputValue()).toBe('file')
    expect(await row('harbour.jpg').textContent()).toContain('image/jpeg')
    await shot('01-dropped')

    await b.page.getByRole('button', { name: 'Upload 3 files' }).click()
    await row('harbour.jpg').locator('.ok').waitFor({ timeout: 30_000 })
    await row('pier.png').locator('.ok').waitFor({ timeout: 30_000 })
    // Each finished upload shows in the library at once.
    await expect
      .poll(async () => (await b.page.locator('.tile-title').allTextContents()).sort())
      .toEqual(['harbour.jpg', 'pier.png'])
    // The large one is under way: its URL is stored, and the server has some of it, not all.
    await expect.poll(() => b.page.evaluate(storedUploadUrls), { timeout: 20_000 }).toHaveLength(1)
    const [uploadUrl] = await b.page.evaluate(storedUploadUrls)
    await expect.poll(() => offsetOf(uploadUrl!), { timeout: 60_000, interval: 200 }).toBeGreaterThan(4 * MB)
    await shot('02-uploading')

    await b.page.reload()
    await b.page.getByRole('heading', { name: 'Library' }).waitFor()
    const offset = await offsetOf(uploadUrl!)
    expect(offset).toBeGreaterThan(0)
    expect(offset).toBeLessThan(BIG)
    const unfinished = b.page.locator('.upload-unfinished')
    await expect.poll(() => unfinished.textContent()).toMatch(/big\.bin \(file\): [\d.]+ MB of 24\.0 MB sent/)
    await b.page.waitForFunction(imagesComplete)
    await shot('03-after-reload')

    // The same file, dropped again, resumes: no new upload, the first PATCH continues at the server's offset.
    const requests: PageRequest[] = []
    b.page.on('request', (r) => {
      if (r.url().includes('/uploads')) requests.push(r)
    })
    await dropFiles(['big.bin'])
    await expect.poll(() => row('big.bin').textContent()).toContain('Resumes at')
    expect(await row('big.bin').getByLabel('Media type').isDisabled()).toBe(true)
    await shot('04-resumable')
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    })
    await b.page.getByRole('button', { name: 'Upload 1 file' }).click()
    // A batch of one file lands on its entry's form.
    await b.page.waitForURL(/\/entries\/[^/]+$/, { timeout: 60_000 })
    expect(requests.filter((r) => r.method() === 'POST')).toHaveLength(0)
    const patches = requests.filter((r) => r.method() === 'PATCH')
    expect(patches.length).toBeGreaterThan(0)
    expect(Number(patches[0]!.headers()['upload-offset'])).toBeGreaterThanOrEqual(offset)
    expect(Number(patches[0]!.headers()['upload-offset'])).toBeGreaterThan(0)
    expect(patches.every((r) => r.url() === uploadUrl)).toBe(true)

    const bigId = decodeURIComponent(b.page.url().split('/entries/')[1]!)
    const title = b.page.getByLabel(/^title/)
    await title.waitFor()
    await title.fill('The big archive')
    await b.page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => b.page.getByRole('status').textContent()).toBe('Saved: version 2.')
    await shot('05-entry-saved')

    // Through the API: three entries, each blob byte for byte the file that was dropped.
    const list = (await (await api(`${API}/mediaLibrary?limit=10`)).json()) as {
      results: {
        id: string
        mediaType: string
        version: number
        asset: { key: string; filename: string; size: number }
      }[]
    }
    const byName = new Map(list.results.map((e) => [e.asset.filename, e]))
    expect([...byName.keys()].sort()).toEqual(['big.bin', 'harbour.jpg', 'pier.png'])
    for (const [name, mediaType] of [
      ['harbour.jpg', 'image'],
      ['pier.png', 'image'],
      ['big.bin', 'file'],
    ] as const) {
      const e = byName.get(name)!
      expect(e).toMatchObject({ mediaType, asset: { size: files[name]!.size } })
      const served = await api(`${API}/mediaLibrary/serve-image/${e.asset.key}`)
      expect(served.status).toBe(200)
      expect(await sha256Of(served.body)).toBe(files[name]!.sha)
    }
    const saved = (await (await api(`${API}/mediaLibrary/${bigId}`)).json()) as {
      id: string
      version: number
      metadata: Record<string, unknown>
    }
    expect(saved).toMatchObject({
      id: byName.get('big.bin')!.id,
      version: 2,
      metadata: { title: 'The big archive' },
    })
    // Nothing is left in flight, and the browser forgot the finished upload.
    expect(
      (await api(new URL(uploadUrl!).pathname, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } }))
        .status,
    ).toBe(404)
    expect(await b.page.evaluate(storedUploadUrls)).toEqual([])
  }, 240_000)

  it('shows the restrictions and refuses a file before its upload starts', async () => {
    await b.page.goto(`${server.baseUrl}/`)
    await b.page.getByRole('heading', { name: 'Library' }).waitFor()
    const requests: string[] = []
    b.page.on('request', (r) => {
      // Creating an upload or sending bytes; a HEAD may ask about an earlier visit's unfinished upload.
      if (r.url().includes('/uploads') && r.method() !== 'HEAD') requests.push(`${r.method()} ${r.url()}`)
    })
    // One dropped, one chosen with the panel's own file picker.
    await dropFiles(['wave.gif'])
    await b.page.getByLabel('choose files').setInputFiles(files['huge.jpg']!.path)
    await expect.poll(() => b.page.locator('.upload-item').count()).toBe(2)
    // The image type takes neither (a GIF; over 2 MB), so both default to the file type.
    expect(await row('wave.gif').getByLabel('Media type').inputValue()).toBe('file')
    expect(await row('huge.jpg').getByLabel('Media type').inputValue()).toBe('file')
    // The editor asks for the image type: refused, with the restriction named, before anything is sent.
    await row('wave.gif').getByLabel('Media type').selectOption('image')
    await row('huge.jpg').getByLabel('Media type').selectOption('image')
    await expect
      .poll(() => row('wave.gif').getByRole('alert').textContent())
      .toBe(
        "The file's type image/gif is not in uploadRestrictions.allowedMimeTypes of media type 'image' (image/jpeg, image/png)",
      )
    expect(await row('huge.jpg').getByRole('alert').textContent()).toBe(
      "The file is larger than uploadRestrictions.maxFileSize of media type 'image' (2097152 bytes)",
    )
    expect(await row('wave.gif').textContent()).toContain('up to 2.0 MB; image/jpeg, image/png')
    expect(await b.page.getByRole('button', { name: 'Upload 0 files' }).isDisabled()).toBe(true)
    await shot('06-refused')
    expect(requests).toEqual([])

    // As a file of the `file` type the GIF is welcome: it uploads, and the editor lands on its form.
    await row('wave.gif').getByLabel('Media type').selectOption('file')
    await expect.poll(() => row('wave.gif').textContent()).toContain('Ready.')
    await row('huge.jpg')
      .getByRole('button', { name: /Remove/ })
      .click()
    await b.page.getByRole('button', { name: 'Upload 1 file' }).click()
    await b.page.waitForURL(/\/entries\/[^/]+$/, { timeout: 30_000 })
    const id = decodeURIComponent(b.page.url().split('/entries/')[1]!)
    const entry = (await (await api(`${API}/mediaLibrary/${id}`)).json()) as {
      mediaType: string
      asset: { key: string; mimeType: string }
    }
    expect(entry).toMatchObject({ mediaType: 'file', asset: { mimeType: 'image/gif' } })
    const served = await api(`${API}/mediaLibrary/serve-image/${entry.asset.key}`)
    expect(Buffer.from(await served.arrayBuffer()).equals(readFileSync(files['wave.gif']!.path))).toBe(true)
  }, 120_000)

  it('cancels an upload (the server drops it) and sends it again by Retry', async () => {
    await b.page.goto(`${server.baseUrl}/`)
    await b.page.getByRole('heading', { name: 'Library' }).waitFor()
    const cdp = await b.context.newCDPSession(b.page)
    await cdp.send('Network.enable')
    const throttle = (bytesPerSecond: number) =>
      cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: bytesPerSecond,
      })
    await throttle(2 * MB)
    await dropFiles(['other.bin'])
    await b.page.getByRole('button', { name: 'Upload 1 file' }).click()
    await expect.poll(() => b.page.evaluate(storedUploadUrls), { timeout: 20_000 }).toHaveLength(1)
    const [first] = await b.page.evaluate(storedUploadUrls)
    await expect.poll(() => offsetOf(first!), { timeout: 30_000, interval: 200 }).toBeGreaterThan(0)
    await expect.poll(() => row('other.bin').locator('progress').getAttribute('value')).not.toBe('0')
    await row('other.bin')
      .getByRole('button', { name: /Cancel/ })
      .click()
    await expect.poll(() => row('other.bin').textContent()).toContain('Cancelled')
    // Terminated on the server, and forgotten by the browser.
    const gone = await api(new URL(first!).pathname, {
      method: 'HEAD',
      headers: { 'tus-resumable': '1.0.0' },
    })
    expect(gone.status).toBe(404)
    expect(await b.page.evaluate(storedUploadUrls)).toEqual([])
    await shot('07-cancelled')

    await throttle(-1)
    await row('other.bin').getByRole('button', { name: /Retry/ }).click()
    await row('other.bin').locator('.ok').waitFor({ timeout: 60_000 })
    const link = row('other.bin').getByRole('link', { name: 'Fill in its metadata' })
    const id = decodeURIComponent((await link.getAttribute('href'))!.split('/entries/')[1]!)
    const entry = (await (await api(`${API}/mediaLibrary/${id}`)).json()) as {
      asset: { key: string; filename: string }
    }
    expect(entry.asset.filename).toBe('other.bin')
    const served = await api(`${API}/mediaLibrary/serve-image/${entry.asset.key}`)
    expect(await sha256Of(served.body)).toBe(files['other.bin']!.sha)

    // The same bytes once more: the project's duplicate policy (skip) names the entry that holds them.
    await dropFiles(['other.bin'])
    await expect.poll(() => b.page.locator('.upload-item[data-file="other.bin"]').count()).toBe(2)
    await b.page.getByRole('button', { name: 'Upload 1 file' }).click()
    const again = b.page.locator('.upload-item[data-file="other.bin"]').nth(1)
    await expect.poll(() => again.textContent(), { timeout: 30_000 }).toContain('Already in the library')
    expect(await again.getByRole('link', { name: 'Open that entry' }).getAttribute('href')).toBe(
      `/entries/${encodeURIComponent(id)}`,
    )
    // The library's count follows the uploads: 5 entries (the duplicate made none).
    await expect.poll(() => b.page.locator('p.count').textContent()).toBe('5 entries · 5 shown')
    await shot('08-duplicate')
    await link.click()
    await b.page.waitForURL(new RegExp(`/entries/${id}$`))
  }, 120_000)
})
