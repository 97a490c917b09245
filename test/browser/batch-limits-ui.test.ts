import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import { normalizeMediaTypes } from '../../src/media/media-types/media-types-config.js'
import { DIALECTS } from '../helpers/dialects.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import { launchBrowser, type TestBrowser } from './browser.js'

/*
 * Issue #19: the library's batch actions size their requests by the server's limits, which `/ui/session`
 * tells (`limits.patchEntriesPerRequest`, `limits.deleteEntriesPerRequest`, `limits.searchPageMax`). A
 * server set to 7 entries per batch PATCH gets a batch edit of 20 selected entries as 3 requests (7, 7, 6)
 * instead of one request it would refuse.
 */
const API = '/api/2026-07'
const PROJECT = 'small-batches'
const PER_REQUEST = 7
const ENTRIES = 20
const MEDIA_TYPES = [
  {
    handle: 'photo',
    type: 'mediaImage',
    metadata: [{ handle: 'title', type: 'li-text', config: { index: true } }],
  },
]

describe.each(DIALECTS)('batch actions within the server limits, in Chromium (%s)', (dialect) => {
  let server: TestServer
  let b: TestBrowser
  let token: string

  beforeAll(async () => {
    server = await startTestServer(
      dialect,
      { limits: { ...DEFAULT_CONFIG.limits, patchEntriesPerRequest: PER_REQUEST } },
      { listen: true },
    )
    await server.deps.projects.create(PROJECT, normalizeMediaTypes(MEDIA_TYPES))
    token = await server.createToken(PROJECT, ['public-api:read', 'public-api:write'])
    const imported = await request(server, 'POST', `${API}/import/mediaLibrary`, {
      token,
      body: {
        mediaLibraryEntries: Array.from({ length: ENTRIES }, (_, i) => ({
          mediaType: 'photo',
          systemName: 'small',
          externalId: `s-${i}`,
          asset: {
            key: `small/${i}.jpg`,
            url: `http://127.0.0.1/small/${i}.jpg`,
            size: 1,
            width: 1,
            height: 1,
            filename: `${i}.jpg`,
            mimeType: 'image/jpeg',
          },
          metadata: { title: `Small ${i}` },
        })),
      },
    })
    expect(imported.status).toBe(200)
    b = await launchBrowser()
  }, 120_000)
  afterAll(async () => {
    await b?.close()
    await server?.close()
  })

  it('tells the UI the limits, and the UI sends a batch edit of 20 as 7 + 7 + 6', async () => {
    const session = await request(server, 'GET', '/ui/session', { token })
    expect(session.status).toBe(200)
    expect((session.body as { limits: unknown }).limits).toEqual({
      patchEntriesPerRequest: PER_REQUEST,
      deleteEntriesPerRequest: 1000,
      searchPageMax: 1000,
    })

    const login = await b.page.request.post(`${server.baseUrl}/ui/login`, {
      data: { token },
      headers: { 'x-medialib-ui': '1' },
    })
    expect(login.status()).toBe(200)
    const patchSizes: number[] = []
    b.page.on('request', (r) => {
      if (r.method() === 'PATCH' && new URL(r.url()).pathname === `${API}/mediaLibrary`) {
        patchSizes.push((JSON.parse(r.postData() ?? '{}') as { entries: unknown[] }).entries.length)
      }
    })
    await b.page.goto(`${server.baseUrl}/?systemName=small`)
    const boxes = b.page.locator('.tile .pick')
    await expect.poll(() => boxes.count()).toBe(ENTRIES)
    await boxes.nth(0).click()
    await boxes.nth(ENTRIES - 1).click({ modifiers: ['Shift'] })
    await expect
      .poll(() => b.page.locator('.selection-count').textContent())
      .toBe(`${ENTRIES} entries selected`)
    await b.page.getByRole('button', { name: 'Edit a field…' }).click()
    const dialog = b.page.getByRole('dialog', { name: `Edit ${ENTRIES} entries` })
    await dialog.getByLabel(/New value/).fill('Edited')
    await dialog.getByRole('button', { name: `Save to ${ENTRIES} entries` }).click()
    await expect
      .poll(() => b.page.locator('.batch-summary').getByRole('status').textContent(), { timeout: 15_000 })
      .toBe(`Saved ${ENTRIES} entries.`)
    expect(patchSizes).toEqual([7, 7, 6])
    const all = await request(server, 'GET', `${API}/mediaLibrary?systemName=small&limit=100`, { token })
    const titles = (all.body as { results: { metadata: { title: string } }[] }).results.map(
      (e) => e.metadata.title,
    )
    expect(titles).toHaveLength(ENTRIES)
    expect(titles.every((t) => t === 'Edited')).toBe(true)
  })
})
