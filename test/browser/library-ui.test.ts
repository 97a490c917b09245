import { Readable } from 'node:stream'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalizeMediaTypes } from '../../src/media/media-types/media-types-config.js'
import { DIALECTS } from '../helpers/dialects.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import { documentCookie, imagesComplete, launchBrowser, type TestBrowser } from './browser.js'

const API = '/api/2026-07'
const PROJECT = 'newsroom'
const MEDIA_TYPES = [
  {
    handle: 'photo',
    type: 'mediaImage',
    info: { label: 'Photo' },
    metadata: [
      { handle: 'title', type: 'li-text', config: { required: true, maxLength: 20, index: true } },
      { handle: 'caption', type: 'li-text', config: { allowNewlines: true, index: true } },
      {
        handle: 'rights',
        type: 'li-enum',
        config: {
          dataProvider: {
            type: 'labelValuePair',
            items: [
              { label: 'Free', value: 'free' },
              { label: 'Licensed', value: 'licensed' },
            ],
          },
        },
      },
    ],
  },
  {
    handle: 'document',
    type: 'mediaFile',
    info: { label: 'Document' },
    metadata: [{ handle: 'title', type: 'li-text', config: { index: true } }],
  },
]
const PHOTOS = [
  { id: 'photo-1', title: 'Harbour sunset', system: 'archive', rgb: [230, 120, 40] },
  { id: 'photo-2', title: 'Mountain lake', system: 'archive', rgb: [40, 110, 200] },
  { id: 'photo-3', title: 'City at night', system: 'agency', rgb: [30, 30, 80] },
  { id: 'photo-4', title: 'Forest path', system: 'agency', rgb: [40, 140, 60] },
  { id: 'photo-5', title: 'Harbour crane', system: 'archive', rgb: [150, 150, 160] },
] as const

/** A real JPEG: a diagonal gradient from the colour to white, 1200×800. */
async function jpeg(rgb: readonly number[]): Promise<Buffer> {
  const width = 1200
  const height = 800
  const raw = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2
      for (let c = 0; c < 3; c++) raw[(y * width + x) * 3 + c] = Math.round(rgb[c]! * (1 - t) + 255 * t)
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer()
}

/** The grid's tile titles once the search settled. */
async function tileTitles(b: TestBrowser): Promise<string[]> {
  await b.page.waitForSelector('p.count:not(:has-text("Searching"))')
  return b.page.locator('.tile-title').allTextContents()
}

async function imagesLoaded(b: TestBrowser): Promise<void> {
  await b.page.waitForFunction(imagesComplete)
}

describe.each(DIALECTS)('the library UI in Chromium (%s)', (dialect) => {
  let server: TestServer
  let b: TestBrowser
  let writeToken: string
  let readToken: string
  const shot = (name: string) => b.screenshot(`ui-${name}-${dialect}`)
  const entry = async (id: string) =>
    (await request(server, 'GET', `${API}/mediaLibrary/${id}`, { token: writeToken })).body as {
      version: number
      state?: string
      revokeNote?: string
      metadata: Record<string, unknown>
    }

  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { listen: true })
    await server.deps.projects.create(PROJECT, normalizeMediaTypes(MEDIA_TYPES))
    writeToken = await server.createToken(PROJECT, ['public-api:read', 'public-api:write'])
    readToken = await server.createToken(PROJECT, ['public-api:read'])
    const entries: Record<string, unknown>[] = []
    for (const [i, p] of PHOTOS.entries()) {
      const bytes = await jpeg(p.rgb)
      const key = `2026/11/28/${p.id}.jpg`
      await server.deps.blobs.files(PROJECT).put(key, Readable.from([bytes]), { contentType: 'image/jpeg' })
      entries.push({
        id: p.id,
        systemName: p.system,
        externalId: `ext-${p.id}`,
        mediaType: 'photo',
        asset: {
          key,
          url: `http://127.0.0.1/${key}`,
          size: bytes.length,
          width: 1200,
          height: 800,
          filename: `${p.id}.jpg`,
          mimeType: 'image/jpeg',
        },
        metadata: { title: p.title, rights: i % 2 ? 'licensed' : 'free' },
      })
    }
    for (const n of [1, 2]) {
      entries.push({
        id: `doc-${n}`,
        systemName: 'archive',
        externalId: `ext-doc-${n}`,
        mediaType: 'document',
        asset: {
          key: `2026/11/28/doc-${n}.pdf`,
          url: `http://127.0.0.1/doc-${n}.pdf`,
          size: 20480 * n,
          filename: `harbour-report-${n}.pdf`,
          mimeType: 'application/pdf',
        },
        metadata: { title: `Harbour report ${n}` },
      })
    }
    const res = await request(server, 'POST', `${API}/import/mediaLibrary`, {
      token: writeToken,
      body: { mediaLibraryEntries: entries },
    })
    expect(res.status).toBe(200)
    expect((res.body as { results: { ok: boolean }[] }).results.every((r) => r.ok)).toBe(true)
    b = await launchBrowser()
  })
  afterAll(async () => {
    await b?.close()
    await server?.close()
  })

  it('logs in with a project token (refusing a wrong one) and shows the library', async () => {
    await b.page.goto(`${server.baseUrl}/`)
    await b.page.getByLabel('Project token').fill('ml_wrong_token')
    await b.page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => b.page.getByRole('alert').textContent()).toContain('not valid')
    await shot('01-login-refused')
    await b.page.getByLabel('Project token').fill(writeToken)
    await b.page.getByRole('button', { name: 'Sign in' }).click()
    await b.page.getByRole('heading', { name: 'Library' }).waitFor()
    expect(await tileTitles(b)).toHaveLength(7)
    const cookie = (await b.context.cookies()).find((c) => c.name === 'medialib_session')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' })
    expect(await b.page.evaluate(documentCookie)).toBe('')
    await imagesLoaded(b)
    expect(await b.page.locator('img.thumb').count()).toBe(5)
    await shot('02-library')
  })

  it('searches and filters, with the query in the URL', async () => {
    await b.page.getByLabel('Search').fill('harbour')
    await b.page.getByLabel('Search').press('Enter')
    await b.page.waitForURL(/\?q=harbour/)
    // Insertion order, which the import chooses; compare as sets. The URL changes before the new page of
    // results is on screen: wait for it.
    await expect
      .poll(async () => (await tileTitles(b)).sort())
      .toEqual(['Harbour crane', 'Harbour report 1', 'Harbour report 2', 'Harbour sunset'])
    await b.page.getByLabel('System name').fill('agency')
    await b.page.getByLabel('System name').press('Enter')
    await b.page.waitForURL(/systemName=agency/)
    await expect.poll(() => tileTitles(b)).toEqual([])
    await b.page.getByLabel('System name').fill('')
    await b.page.getByLabel('Media type').selectOption('document')
    await b.page.waitForURL(/mediaType=document/)
    await b.page.waitForSelector('table.list tbody tr')
    expect((await b.page.locator('table.list tbody tr td:first-child').allTextContents()).sort()).toEqual([
      'Harbour report 1',
      'Harbour report 2',
    ])
    await shot('03-search-documents')
    // The URL is the view: opening it anew shows the same.
    await b.page.goto(`${server.baseUrl}/?q=harbour&mediaType=photo`)
    await expect.poll(async () => (await tileTitles(b)).sort()).toEqual(['Harbour crane', 'Harbour sunset'])
    await imagesLoaded(b)
    await shot('04-search-photos')
  })

  it('opens newest first with the count, and sorts by the menu', async () => {
    await b.page.goto(`${server.baseUrl}/`)
    const count = b.page.locator('p.count')
    await expect.poll(() => count.textContent()).toMatch(/^7 entries · 7 shown$/)
    const newest = await tileTitles(b)
    expect(await b.page.getByLabel('Sort').inputValue()).toBe('-createdAt')
    // Best match is offered only with search words.
    expect(await b.page.locator('#f-sort option[value="relevance"]').count()).toBe(0)
    await b.page.getByLabel('Sort').selectOption('createdAt')
    await b.page.waitForURL(/sort=createdAt/)
    await expect.poll(() => tileTitles(b)).toEqual([...newest].reverse())
    await b.page.goto(`${server.baseUrl}/?q=crane`)
    await expect.poll(() => count.textContent()).toBe('1 entry · 1 shown')
    await b.page.getByLabel('Sort').selectOption('relevance')
    await b.page.waitForURL(/sort=relevance/)
    expect(await tileTitles(b)).toEqual(['Harbour crane'])
    await shot('04b-sort-and-count')
  })

  it('edits a metadata property, refusing a bad value before the save', async () => {
    await b.page.goto(`${server.baseUrl}/`)
    // By keyboard: the tiles are links.
    await b.page.getByRole('link', { name: /Harbour sunset/ }).focus()
    await b.page.keyboard.press('Enter')
    await b.page.waitForURL(/\/entries\/photo-1$/)
    const title = b.page.getByLabel(/^title/)
    await title.fill('A title far longer than twenty characters')
    await b.page.getByRole('button', { name: 'Save' }).click()
    // The form checks the media type's rules itself (ui/form-model.ts, in the API's wording) and sends
    // nothing; the server's own refusal, mapped to its field, is checked in entry-form.test.ts.
    await expect
      .poll(() => b.page.locator('.meta.invalid .error').textContent())
      .toBe("The value of '/title' must NOT have more than 20 characters")
    expect(await title.getAttribute('aria-invalid')).toBe('true')
    expect((await entry('photo-1')).metadata.title).toBe('Harbour sunset')
    await imagesLoaded(b)
    await shot('05-validation-error')
    await title.fill('Harbour at dusk')
    await b.page.getByLabel(/^rights/).selectOption('licensed')
    await b.page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => b.page.getByRole('status').textContent()).toBe('Saved: version 2.')
    expect(await entry('photo-1')).toMatchObject({
      version: 2,
      metadata: { title: 'Harbour at dusk', rights: 'licensed' },
    })
    await shot('06-saved')
  })

  it('shows a version conflict made by a parallel API PATCH instead of overwriting it', async () => {
    await b.page.goto(`${server.baseUrl}/entries/photo-2`)
    const title = b.page.getByLabel(/^title/)
    await expect.poll(() => title.inputValue()).toBe('Mountain lake')
    const parallel = await request(server, 'PATCH', `${API}/mediaLibrary/photo-2`, {
      token: writeToken,
      body: {
        version: 1,
        patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'Lake, by API' }],
      },
    })
    expect(parallel.status).toBe(200)
    await title.fill('Lake, by the UI')
    await b.page.getByRole('button', { name: 'Save' }).click()
    const conflict = b.page.locator('.conflict')
    await conflict.waitFor()
    expect(await conflict.textContent()).toContain('You edited version 1; the library now holds version 2')
    expect(await conflict.textContent()).toContain('Lake, by API')
    expect(await title.inputValue()).toBe('Lake, by the UI')
    expect(await entry('photo-2')).toMatchObject({ version: 2, metadata: { title: 'Lake, by API' } })
    await shot('07-conflict')
    await b.page.getByRole('button', { name: /Load the latest version/ }).click()
    await expect.poll(() => title.inputValue()).toBe('Lake, by API')
  })

  it('revokes an entry with a note, and finds it by the state filter', async () => {
    await b.page.goto(`${server.baseUrl}/entries/photo-3`)
    await b.page.getByLabel(/Revoke note/).fill('Rights expired')
    await b.page.getByRole('button', { name: 'Revoke', exact: true }).click()
    await b.page.getByRole('button', { name: 'Unrevoke' }).waitFor()
    expect(await b.page.getByRole('status').textContent()).toBe('Revoked: version 2.')
    expect(await b.page.locator('.revoke-note').textContent()).toBe('Rights expired')
    expect(await entry('photo-3')).toMatchObject({
      state: 'revoked',
      revokeNote: 'Rights expired',
      version: 2,
    })
    await imagesLoaded(b)
    await shot('08-revoked')
    await b.page.goto(`${server.baseUrl}/?state=revoked`)
    expect(await tileTitles(b)).toEqual(['City at night'])
  })

  it('shows a read-only token no edit actions', async () => {
    await b.page.getByRole('button', { name: 'Sign out' }).click()
    await b.page.getByLabel('Project token').fill(readToken)
    await b.page.getByRole('button', { name: 'Sign in' }).click()
    await b.page.getByRole('heading', { name: 'Library' }).waitFor()
    await b.page.goto(`${server.baseUrl}/entries/photo-4`)
    // The values as text, not disabled controls that look editable.
    await expect.poll(() => b.page.getByLabel(/^title/).textContent()).toBe('Forest path')
    expect(await b.page.locator('#m-title').evaluate((e) => e.tagName)).toBe('P')
    expect(await b.page.locator('form.metadata').locator('input, textarea, select').count()).toBe(0)
    expect(await b.page.getByRole('button', { name: /Save|Revoke|Archive/ }).count()).toBe(0)
    expect(await b.page.getByText('read-only', { exact: true }).count()).toBe(1)
    await b.page.waitForFunction(imagesComplete)
    await shot('09-read-only')
  })
})
