import { Readable } from 'node:stream'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalizeMediaTypes } from '../../src/media/media-types/media-types-config.js'
import { DIALECTS } from '../helpers/dialects.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import { launchBrowser, type TestBrowser } from './browser.js'

const API = '/api/2026-07'
/** Polls wait long: CI shares 2 cores with other test files. */
const POLL = { timeout: 15_000 }
const PROJECT = 'lifecycle'
const MEDIA_TYPES = [
  {
    handle: 'photo',
    type: 'mediaImage',
    info: { label: 'Photo' },
    metadata: [{ handle: 'title', type: 'li-text', config: { required: true, index: true } }],
  },
]
const PURPOSES = [
  { handle: 'web', label: 'Web' },
  { handle: 'print', label: 'Print', paramsSchema: [{ handle: 'edition', type: 'li-integer' }] },
]
const PHOTOS = [
  { id: 'used-1', title: 'Used harbour', rgb: [230, 120, 40] },
  { id: 'free-1', title: 'Free lake', rgb: [40, 110, 200] },
  { id: 'guard-1', title: 'Guarded forest', rgb: [40, 140, 60] },
  { id: 'old-1', title: 'Archived city', rgb: [30, 30, 80] },
] as const

type Rec = {
  version: number
  state?: string
  storedInArchiveAt?: string
  metadata: Record<string, unknown>
}

/**
 * The entry lifecycle in the UI (issue #16, item 6), in Chromium over a real server: the unused filter,
 * the usage log on the entry page, delete refused for a used or protected entry (409 named), protect and
 * unprotect, delete to the trash, restore from the Trash page, and un-archive.
 */
describe.each(DIALECTS)('the lifecycle UI in Chromium (%s)', (dialect) => {
  let server: TestServer
  let b: TestBrowser
  let token: string
  const shot = (name: string) => b.screenshot(`lifeui-${name}-${dialect}`)
  const api = (method: string, path: string, body?: unknown) =>
    request(server, method, `${API}${path}`, { token, body })
  const entry = async (id: string) => (await api('GET', `/mediaLibrary/${id}`)).body as Rec
  const usages = async (id: string) =>
    ((await api('GET', `/mediaLibrary/${id}/usageLog`)).body as { results: Record<string, unknown>[] })
      .results
  const tileTitles = async () => {
    await b.page.waitForSelector('p.count:not(:has-text("Searching"))')
    return (await b.page.locator('.tile-title').allTextContents()).sort()
  }
  const alert = (text: string) => b.page.getByRole('alert').filter({ hasText: text })
  const status = (text: string) => b.page.getByRole('status').filter({ hasText: text })
  /** Delete… then Confirm: the 409's message is shown as the API words it, and the entry stays. */
  const deleteRefused = async (id: string, message: string, screenshot: string) => {
    await b.page.getByRole('button', { name: 'Delete…' }).click()
    await b.page.getByRole('button', { name: 'Confirm: move to the trash' }).click()
    await alert('The entry cannot be deleted').waitFor()
    expect(await alert('The entry cannot be deleted').textContent()).toBe(message)
    await shot(screenshot)
    expect((await api('GET', `/mediaLibrary/${id}`)).status).toBe(200)
  }
  const openEntry = async (id: string, title: string) => {
    await b.page.goto(`${server.baseUrl}/entries/${id}`)
    await b.page.getByRole('heading', { level: 1, name: title }).waitFor()
    await b.page.getByRole('heading', { name: 'Usage log' }).waitFor()
  }

  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { listen: true })
    await server.deps.projects.create(PROJECT, normalizeMediaTypes(MEDIA_TYPES))
    await server.deps.projects.updateUsagePurposes(PROJECT, PURPOSES)
    token = await server.createToken(PROJECT, ['public-api:read', 'public-api:write', 'media-library:delete'])
    const entries: Record<string, unknown>[] = []
    for (const p of PHOTOS) {
      const bytes = await sharp({
        create: {
          width: 600,
          height: 400,
          channels: 3,
          background: { r: p.rgb[0], g: p.rgb[1], b: p.rgb[2] },
        },
      })
        .jpeg()
        .toBuffer()
      const key = `2026/12/03/${p.id}.jpg`
      await server.deps.blobs.files(PROJECT).put(key, Readable.from([bytes]), { contentType: 'image/jpeg' })
      entries.push({
        id: p.id,
        mediaType: 'photo',
        asset: {
          key,
          url: `http://127.0.0.1/${key}`,
          size: bytes.length,
          width: 600,
          height: 400,
          filename: `${p.id}.jpg`,
          mimeType: 'image/jpeg',
        },
        metadata: { title: p.title },
      })
    }
    const res = await api('POST', '/import/mediaLibrary', { mediaLibraryEntries: entries })
    expect((res.body as { results: { ok: boolean }[] }).results.every((r) => r.ok)).toBe(true)
    const used = await api('PATCH', '/mediaLibrary/used-1', {
      patches: [
        {
          operation: 'addUsageLogEntry',
          value: { purpose: 'web', url: 'https://news.example.com/harbour', state: 'pending' },
        },
      ],
    })
    expect(used.status).toBe(200)
    expect((await api('PATCH', '/mediaLibrary/old-1', { patches: [{ operation: 'archive' }] })).status).toBe(
      200,
    )
    b = await launchBrowser()
    await b.page.goto(`${server.baseUrl}/`)
    await b.page.getByLabel('Project token').fill(token)
    await b.page.getByRole('button', { name: 'Sign in' }).click()
    await b.page.getByRole('heading', { name: 'Library' }).waitFor()
  })
  afterAll(async () => {
    await b?.close()
    await server?.close()
  })

  it('the Usage filter narrows the grid to unused or used entries, and lives in the URL', async () => {
    await expect.poll(tileTitles, POLL).toEqual(['Free lake', 'Guarded forest', 'Used harbour'])
    await b.page.getByLabel('Usage').selectOption('false')
    await b.page.waitForURL(/used=false/)
    await expect.poll(tileTitles, POLL).toEqual(['Free lake', 'Guarded forest'])
    await shot('01-unused-filter')
    await b.page.getByLabel('Usage').selectOption('true')
    await b.page.waitForURL(/used=true/)
    await expect.poll(tileTitles, POLL).toEqual(['Used harbour'])
    await b.page.goto(`${server.baseUrl}/?used=false&q=lake`)
    await expect.poll(tileTitles, POLL).toEqual(['Free lake'])
    expect(await b.page.getByLabel('Usage').inputValue()).toBe('false')
  })

  it('shows the usage log on the entry page, refuses to delete a used entry naming why, and adds and removes usages', async () => {
    await openEntry('used-1', 'Used harbour')
    const rows = b.page.locator('table.usage tbody tr')
    await expect.poll(() => rows.count(), POLL).toBe(1)
    expect(await rows.first().textContent()).toContain('https://news.example.com/harbour')
    expect(await rows.first().locator('td').first().textContent()).toBe('Web')

    await deleteRefused(
      'used-1',
      "The entry cannot be deleted: it has 1 usage log entry (id: 'used-1')",
      '02-delete-refused-used',
    )

    // A param failing the purpose's schema: the API's message under the field, nothing added.
    await b.page.getByLabel('Purpose').selectOption('print')
    await b.page.getByLabel(/^edition/).fill('twelve')
    await b.page.getByRole('button', { name: 'Add usage' }).click()
    await alert('Not saved').waitFor()
    expect(await b.page.locator('#u-edition').getAttribute('aria-invalid')).toBe('true')
    expect(await usages('used-1')).toHaveLength(1)
    // Confirmed needs a publication date (the API's rule, shown under the date).
    await b.page.getByLabel(/^edition/).fill('12')
    await b.page.getByLabel('Usage state').selectOption('confirmed')
    await b.page.getByRole('button', { name: 'Add usage' }).click()
    await b.page
      .locator('#u-published-error')
      .filter({ hasText: 'required when state is confirmed' })
      .waitFor()
    expect(await usages('used-1')).toHaveLength(1)
    await b.page.getByLabel(/^Publication date/).fill('2026-12-01T08:30')
    await b.page.getByRole('button', { name: 'Add usage' }).click()
    await status('Usage added').waitFor()
    await expect.poll(() => rows.count(), POLL).toBe(2)
    const log = await usages('used-1')
    expect(log[1]).toMatchObject({ purpose: 'print', state: 'confirmed', params: { edition: 12 } })
    expect(log[1]!.publicationDate).toEqual(expect.stringMatching(/^2026-12-01T/))
    await shot('03-usage-log')

    await b.page
      .getByRole('button', { name: 'Remove the usage Web at https://news.example.com/harbour' })
      .click()
    await status('Usage removed').waitFor()
    await expect.poll(() => rows.count(), POLL).toBe(1)
    expect((await usages('used-1')).map((u) => u.purpose)).toEqual(['print'])
  })

  it('protects an entry (delete refused, named), unprotects it, deletes it to the trash and restores it there', async () => {
    await openEntry('guard-1', 'Guarded forest')
    await b.page.getByRole('button', { name: 'Store in archive (protect)' }).click()
    await status('Stored in archive').waitFor()
    expect((await entry('guard-1')).storedInArchiveAt).toEqual(expect.any(String))
    const protection = b.page.locator('section[aria-labelledby="protect-h"] p').first()
    expect(await protection.textContent()).toMatch(
      /^stored in archive since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: protected, it cannot be deleted\.$/,
    )
    await deleteRefused(
      'guard-1',
      "The entry cannot be deleted: it is stored in archive (protected; id: 'guard-1')",
      '04-delete-refused-protected',
    )

    await b.page.getByRole('button', { name: 'Remove from archive (unprotect)' }).click()
    await status('Removed from archive').waitFor()
    expect((await entry('guard-1')).storedInArchiveAt).toBeUndefined()
    await b.page.getByRole('button', { name: 'Delete…' }).click()
    await b.page.getByRole('button', { name: 'Confirm: move to the trash' }).click()
    await b.page.waitForURL(/\/trash\?deleted=guard-1$/)
    await status("Moved 'guard-1' to the trash").waitFor()
    const row = b.page.locator('table.list tbody tr').filter({ hasText: 'guard-1' })
    await row.waitFor()
    expect(await row.locator('td').first().textContent()).toBe('Guarded forest')
    expect((await api('GET', '/mediaLibrary/guard-1')).status).toBe(404)
    await shot('05-trash')

    await b.page.getByRole('button', { name: 'Restore Guarded forest' }).click()
    await status("Restored 'Guarded forest'").waitFor()
    await b.page.getByText('The trash is empty.').waitFor()
    expect((await entry('guard-1')).metadata.title).toBe('Guarded forest')
    await shot('06-restored')
    await b.page.getByRole('link', { name: 'Open it' }).click()
    await b.page.getByRole('heading', { level: 1, name: 'Guarded forest' }).waitFor()
  })

  it('un-archives an archived entry', async () => {
    await openEntry('old-1', 'Archived city')
    await b.page.getByRole('button', { name: 'Un-archive' }).click()
    await status('Un-archived').waitFor()
    const rec = await entry('old-1')
    expect(rec.state).toBeUndefined()
    await b.page.getByRole('button', { name: 'Archive…' }).waitFor()
    await shot('07-unarchived')
    await b.page.goto(`${server.baseUrl}/`)
    await expect
      .poll(tileTitles, POLL)
      .toEqual(['Archived city', 'Free lake', 'Guarded forest', 'Used harbour'])
  })

  it('a read-only token sees the usage log but no lifecycle action, and no trash', async () => {
    const reader = await server.createToken(PROJECT, ['public-api:read'])
    await b.page.getByRole('button', { name: 'Sign out' }).click()
    await b.page.getByLabel('Project token').fill(reader)
    await b.page.getByRole('button', { name: 'Sign in' }).click()
    await b.page.getByRole('heading', { name: 'Library' }).waitFor()
    await openEntry('used-1', 'Used harbour')
    await expect.poll(() => b.page.locator('table.usage tbody tr').count(), POLL).toBe(1)
    for (const name of ['Delete…', 'Store in archive (protect)', 'Add usage', 'Remove', 'Archive…']) {
      expect(await b.page.getByRole('button', { name }).count(), name).toBe(0)
    }
    await b.page.getByText('Deleting needs a token with the scope').waitFor()
    await b.page.getByRole('link', { name: 'Trash' }).click()
    await b.page.getByText('the trash needs the write scope').waitFor()
    expect(await b.page.locator('table.list').count()).toBe(0)
  })
})
