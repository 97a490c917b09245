import { mkdirSync } from 'node:fs'
import { loadavg } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMediaEntryRepository } from '../../src/db/media-entry.repository.js'
import type { MediaEntry } from '../../src/media/entry.js'
import { normalizeMediaTypes } from '../../src/media/media-types/media-types-config.js'
import { DIALECTS } from '../helpers/dialects.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import { axeCheck } from './axe.js'
import { ARTIFACTS, launchBrowser, type TestBrowser } from './browser.js'

/*
 * Issue #19, the library page: selection (click, Shift-click range, Ctrl-click), a batch edit with one
 * entry failing validation and one version conflict, "select all matching" over 10,000 entries with a
 * batch archive, keyboard-only navigation, axe-core on every page, a read-only session and a 390 px
 * viewport. Screenshots into test-artifacts/ (or MEDIALIB_SHOTS_DIR).
 */

const API = '/api/2026-07'
const PROJECT = 'newsroom'
const PICKS = 60
const BULK = 10_000
const MEDIA_TYPES = [
  {
    handle: 'photo',
    type: 'mediaImage',
    info: { label: 'Photo' },
    metadata: [
      { handle: 'title', type: 'li-text', config: { maxLength: 40, index: true } },
      { handle: 'caption', type: 'li-text', config: { index: true } },
    ],
  },
  {
    handle: 'strict',
    type: 'mediaImage',
    info: { label: 'Strict photo' },
    metadata: [{ handle: 'title', type: 'li-text', config: { maxLength: 5, index: true } }],
  },
]
/** The one `strict` entry among the picks: a 5-character title limit, so a batch title fails on it. */
const STRICT = 'pick-55'
/** The pick another writer changes while the editor has it selected. */
const CONFLICT = 'pick-50'

/** Loosely typed page globals for functions run in the page (the tests compile without the DOM library). */
interface PageElement {
  getAttribute(name: string): string | null
}
interface PageGlobals {
  document: { activeElement: PageElement | null }
  getComputedStyle(e: PageElement): { outlineStyle: string; outlineWidth: string; outlineOffset: string }
}
// Each runs inside the page on its own: no references to the test module's names.
function focusedId(): string | null {
  return (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('data-id') ?? null
}
function focusOutline(): string {
  const page = globalThis as unknown as PageGlobals
  const e = page.document.activeElement
  if (!e) return 'none'
  const style = page.getComputedStyle(e)
  return `${style.outlineStyle} ${style.outlineWidth} ${style.outlineOffset}`
}

const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')

describe.each(DIALECTS)('library selection and batch actions in Chromium (%s)', (dialect) => {
  let server: TestServer
  let b: TestBrowser
  let writeToken: string
  let readToken: string

  const shot = async (name: string) => {
    const dir = process.env.MEDIALIB_SHOTS_DIR ?? ARTIFACTS
    if (!dir) return
    mkdirSync(dir, { recursive: true })
    await b.page.screenshot({ path: path.join(dir, `uilib-${name}-${dialect}.png`) })
  }
  const signIn = async (token: string) => {
    await b.context.clearCookies()
    const res = await b.page.request.post(`${server.baseUrl}/ui/login`, {
      data: { token },
      headers: { 'x-medialib-ui': '1' },
    })
    expect(res.status()).toBe(200)
  }
  const api = async (method: string, url: string, body?: unknown) => {
    const res = await request(server, method, `${API}${url}`, { token: writeToken, body })
    expect(res.status).toBe(200)
    return res.body as {
      results: {
        id: string
        ok: boolean
        version: number
        status?: number
        metadata: Record<string, unknown>
      }[]
      total?: number
    } & { version: number; metadata: Record<string, unknown> }
  }
  const countText = () => b.page.locator('p.count').textContent()

  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { listen: true })
    await server.deps.projects.create(PROJECT, normalizeMediaTypes(MEDIA_TYPES))
    writeToken = await server.createToken(PROJECT, ['public-api:read', 'public-api:write'])
    readToken = await server.createToken(PROJECT, ['public-api:read'])
    const bytes = await sharp({
      create: { width: 400, height: 300, channels: 3, background: { r: 40, g: 110, b: 200 } },
    })
      .jpeg()
      .toBuffer()
    const key = '2026/12/04/shared.jpg'
    await server.deps.blobs.files(PROJECT).put(key, Readable.from([bytes]), { contentType: 'image/jpeg' })
    // Straight into the database (as a bulk import would leave them), newest last.
    const repository = createMediaEntryRepository(server.deps.database)
    const start = Date.parse('2026-01-01T00:00:00Z')
    const make = (n: number, id: string, system: string, title: string): MediaEntry => {
      const at = new Date(start + n * 60_000).toISOString()
      return {
        id,
        version: 1,
        mediaType: id === STRICT ? 'strict' : 'photo',
        systemName: system,
        externalId: id,
        asset: {
          key,
          url: `http://127.0.0.1/${key}`,
          size: bytes.length,
          width: 400,
          height: 300,
          filename: `${id}.jpg`,
          mimeType: 'image/jpeg',
        },
        metadata: { title },
        createdAt: at,
        updatedAt: at,
        searchText: `${title.toLowerCase()} ${id}`,
      }
    }
    for (let offset = 0; offset < BULK; offset += 5_000) {
      const batch = Array.from({ length: 5_000 }, (_, i) =>
        make(offset + i, `bulk-${offset + i}`, 'bulk', `Bulk ${offset + i}`),
      )
      expect((await repository.insertNew(PROJECT, batch)).inserted.size).toBe(batch.length)
    }
    const picks = Array.from({ length: PICKS }, (_, n) => {
      const id = `pick-${String(n).padStart(2, '0')}`
      return make(BULK + n, id, 'pick', id === STRICT ? 'Tiny' : `Pick ${n}`)
    })
    expect((await repository.insertNew(PROJECT, picks)).inserted.size).toBe(PICKS)
    b = await launchBrowser({ bypassCSP: true })
  }, 120_000)
  afterAll(async () => {
    await b?.close()
    await server?.close()
  })

  it('goes from the search box to a tile by keyboard, opens it with Enter and comes back with Escape', async () => {
    await signIn(writeToken)
    await b.page.goto(`${server.baseUrl}/`)
    // A count that differs from the search's below: its answer, not this page's, is then on screen.
    await expect.poll(countText).toBe('About 10,060 entries · 60 shown, more below')
    const search = b.page.getByLabel('Search')
    await search.focus()
    await b.page.keyboard.type('pick')
    await b.page.keyboard.press('Enter')
    await b.page.waitForURL(/q=pick/)
    await expect.poll(countText).toBe('60 entries · 60 shown')
    await b.page.keyboard.press('ArrowDown')
    expect(await b.page.evaluate(focusedId)).toBe('pick-59')
    // The focus ring of the stylesheet (3 px, solid) is on the focused tile, inside it (a tile's
    // content-visibility clips what is painted outside).
    expect(await b.page.evaluate(focusOutline)).toBe('solid 3px -3px')
    await b.page.keyboard.press('ArrowRight')
    expect(await b.page.evaluate(focusedId)).toBe('pick-58')
    const tops = await b.page
      .locator('.tile')
      .evaluateAll((tiles) =>
        tiles.map(
          (t) => (t as unknown as { getBoundingClientRect(): { top: number } }).getBoundingClientRect().top,
        ),
      )
    const columns = tops.findIndex((t) => t !== tops[0])
    expect(columns).toBeGreaterThan(1)
    await b.page.keyboard.press('ArrowDown')
    expect(await b.page.evaluate(focusedId)).toBe(`pick-${58 - columns}`)
    await b.page.keyboard.press('ArrowLeft')
    const target = `pick-${59 - columns}`
    expect(await b.page.evaluate(focusedId)).toBe(target)
    await shot('01-keyboard-focus')
    await b.page.keyboard.press('Enter')
    await b.page.waitForURL(new RegExp(`/entries/${target}$`))
    await b.page.getByRole('heading', { level: 1 }).waitFor()
    await b.page.keyboard.press('Escape')
    await b.page.waitForURL(/\/\?q=pick$/)
    await expect.poll(() => b.page.evaluate(focusedId)).toBe(target)
    expect(await b.page.evaluate(focusOutline)).toBe('solid 3px -3px')
  })

  it('selects 50 by Shift-click, toggles by Ctrl-click, and batch-edits: one invalid, one conflict, 48 saved', async () => {
    await b.page.goto(`${server.baseUrl}/?systemName=pick`)
    await expect.poll(countText).toBe('60 entries · 60 shown')
    const boxes = b.page.locator('.tile .pick')
    await boxes.nth(0).click()
    await b.page.locator('.selection-count').waitFor()
    expect(await b.page.locator('.selection-count').textContent()).toBe('1 entry selected')
    await boxes.nth(49).click({ modifiers: ['Shift'] })
    await expect.poll(() => b.page.locator('.selection-count').textContent()).toBe('50 entries selected')
    expect(await b.page.locator('.tile.selected').count()).toBe(50)
    // Ctrl-click on a tile toggles it without opening it.
    const tile52 = b.page.locator('.tile > a').nth(52)
    await tile52.click({ modifiers: ['Control'] })
    await expect.poll(() => b.page.locator('.selection-count').textContent()).toBe('51 entries selected')
    await tile52.click({ modifiers: ['Control'] })
    await expect.poll(() => b.page.locator('.selection-count').textContent()).toBe('50 entries selected')
    expect(b.page.url()).toMatch(/\?systemName=pick$/)
    // Another writer changes one of the selected entries meanwhile.
    const changed = await request(server, 'PATCH', `${API}/mediaLibrary/${CONFLICT}`, {
      token: writeToken,
      body: {
        version: 1,
        patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'Changed by API' }],
      },
    })
    expect(changed.status).toBe(200)
    await b.page.getByRole('button', { name: 'Edit a field…' }).click()
    const dialog = b.page.getByRole('dialog', { name: 'Edit 50 entries' })
    await dialog.waitFor()
    expect(await dialog.getByLabel('Field', { exact: true }).inputValue()).toBe('title')
    expect(await dialog.locator('.batch-current').textContent()).toBe('Now: (mixed)')
    await dialog.getByLabel(/New value/).fill('Batch title')
    await shot('02-batch-edit-dialog')
    await dialog.getByRole('button', { name: 'Save to 50 entries' }).click()
    const summary = b.page.locator('.batch-summary')
    await expect
      .poll(() => summary.getByRole('status').textContent(), { timeout: 15_000 })
      .toBe('Saved 48 entries; 2 entries failed:')
    // The result took the focus from the selection bar, which is gone (focused by an effect after the render
    // that shows the text: the last CI run read the focus before it).
    await expect.poll(() => b.page.locator('.batch-summary:focus').count()).toBe(1)
    expect(await b.page.locator('.selection-bar').count()).toBe(0)
    const failures = await summary.locator('.batch-failures li').allTextContents()
    expect(failures).toHaveLength(2)
    expect(failures.find((f) => f.startsWith(STRICT))).toContain(
      "The value of '/title' must NOT have more than 5 characters",
    )
    expect(failures.find((f) => f.startsWith(CONFLICT))).toContain('(409)')
    expect(await summary.getByRole('link', { name: STRICT }).getAttribute('href')).toBe(`/entries/${STRICT}`)
    await shot('03-batch-edit-result')
    // On the server: 48 saved, the invalid and the conflicting one as they were, the rest untouched.
    const all = (await api('GET', `/mediaLibrary?systemName=pick&limit=100`)).results
    const titles = new Map(all.map((e) => [e.id, e.metadata.title]))
    expect([...titles.values()].filter((t) => t === 'Batch title')).toHaveLength(48)
    expect(titles.get(STRICT)).toBe('Tiny')
    expect(titles.get(CONFLICT)).toBe('Changed by API')
    expect(titles.get('pick-09')).toBe('Pick 9')
    expect(titles.get('pick-10')).toBe('Batch title')
  })

  it('batch-edits 1,000 entries through the API (PATCH /mediaLibrary), timed against a read of the same', async () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => `bulk-${i}`)
    const readStart = performance.now()
    const read = await api('GET', `/mediaLibrary?systemName=bulk&sort=createdAt&limit=1000`)
    const readMs = performance.now() - readStart
    expect(read.results.map((e) => e.id)).toEqual(ids)
    const started = performance.now()
    const res = await api('PATCH', '/mediaLibrary', {
      entries: read.results.map((e) => ({
        id: e.id,
        version: e.version,
        patches: [
          { operation: 'setMetadataProperty', propertyName: 'caption', value: `Batch caption ${e.id}` },
        ],
      })),
    })
    const ms = performance.now() - started
    expect(res.results.filter((r) => r.ok)).toHaveLength(1_000)
    console.log(
      `[uilib ${dialect}] batch edit of 1,000 entries: ${ms.toFixed(0)} ms (target <= 2,000); ` +
        `ceiling: the same 1,000 read in one search page ${readMs.toFixed(0)} ms; load average ${load()}`,
    )
    expect(ms).toBeLessThan(5_000)
    expect((await api('GET', '/mediaLibrary/bulk-999')).metadata.caption).toBe('Batch caption bulk-999')
  })

  it('selects all 10,000 matching entries and archives them in chunks with progress', async () => {
    await b.page.goto(`${server.baseUrl}/?systemName=bulk`)
    await expect.poll(countText).toBe('10,000 entries · 60 shown, more below')
    await b.page.locator('.tile .pick').first().click()
    await b.page.getByRole('button', { name: 'Select all 10,000 matching' }).click()
    await expect
      .poll(() => b.page.locator('.selection-count').textContent())
      .toBe('All 10,000 matching entries selected')
    expect(await b.page.locator('.tile.selected').count()).toBe(60)
    await shot('04-select-all-matching')
    await b.page.getByRole('button', { name: 'Archive 10,000 entries…' }).click()
    const started = performance.now()
    await b.page.getByRole('button', { name: 'Confirm: archive 10,000 entries' }).click()
    await b.page.locator('.batch-progress progress').waitFor()
    await shot('05-archive-progress')
    const summary = b.page.locator('.batch-summary [role="status"]')
    await expect.poll(() => summary.textContent(), { timeout: 60_000 }).toBe('Archived 10,000 entries.')
    const ms = performance.now() - started
    await expect.poll(countText).toBe('0 entries · 0 shown')
    // Reference: the same 10,000 un-archived by the API alone, in the same chunks of 1,000.
    const ceilingStart = performance.now()
    for (let i = 0; i < BULK; i += 1_000) {
      const res = await api('PATCH', '/mediaLibrary', {
        entries: Array.from({ length: 1_000 }, (_, k) => ({
          id: `bulk-${i + k}`,
          patches: [{ operation: 'unarchive' }],
        })),
      })
      expect(res.results.every((r) => r.ok)).toBe(true)
    }
    const ceilingMs = performance.now() - ceilingStart
    console.log(
      `[uilib ${dialect}] select all 10,000 + batch archive from the UI: ${ms.toFixed(0)} ms; ` +
        `reference: the same 10,000 un-archived by the API alone, 10 PATCHes of 1,000, ${ceilingMs.toFixed(0)} ms; load average ${load()}`,
    )
    await shot('06-archived')
    // The un-archive (the ceiling) brought every entry back into the default search.
    expect((await api('GET', '/mediaLibrary?systemName=bulk&limit=1&count=true')).total).toBe(BULK)
  }, 120_000)

  it('axe-core finds no serious or critical violations on the library, entry, imports and login pages', async () => {
    await signIn(writeToken)
    const check = async (url: string, ready: () => Promise<unknown>) => {
      await b.page.goto(`${server.baseUrl}${url}`)
      await ready()
      return { url, ...(await axeCheck(b.page)) }
    }
    const results = [
      await check('/?systemName=pick', async () => {
        await expect.poll(countText).toBe('60 entries · 60 shown')
        await b.page.locator('.tile .pick').nth(1).click()
      }),
      await check('/?systemName=pick&view=list', () =>
        b.page.locator('table.list tbody tr').first().waitFor(),
      ),
      await check('/entries/pick-01', () => b.page.getByRole('heading', { level: 1 }).waitFor()),
      await check('/imports', () => b.page.getByRole('heading', { name: 'Imports' }).waitFor()),
    ]
    await b.context.clearCookies()
    results.push(await check('/login', () => b.page.getByLabel('Project token').waitFor()))
    expect(results).toEqual(results.map(({ url }) => ({ url, checkedContrastAndNames: 3, serious: [] })))
  })

  it('shows a read-only session no selection or batch actions', async () => {
    await signIn(readToken)
    await b.page.goto(`${server.baseUrl}/?systemName=pick`)
    await expect.poll(countText).toBe('60 entries · 60 shown')
    expect(await b.page.getByText('read-only', { exact: true }).count()).toBe(1)
    expect(await b.page.locator('.tile .pick').count()).toBe(0)
    const first = b.page.locator('.tile > a').first()
    await first.focus()
    await b.page.keyboard.press('Space')
    await first.click({ modifiers: ['Control'] }).catch(() => undefined)
    expect(await b.page.locator('.selection-bar').count()).toBe(0)
    expect(await b.page.getByRole('button', { name: /Edit a field|Archive/ }).count()).toBe(0)
    await b.page.getByText('read-only', { exact: true }).scrollIntoViewIfNeeded()
    await shot('07-read-only')
  })

  it('keeps the grid and the selection bar usable at 390 px', async () => {
    await signIn(writeToken)
    await b.page.setViewportSize({ width: 390, height: 844 })
    try {
      await b.page.goto(`${server.baseUrl}/?systemName=pick`)
      await expect.poll(countText).toBe('60 entries · 60 shown')
      const signOut = await b.page.getByRole('button', { name: 'Sign out' }).boundingBox()
      expect(signOut!.x + signOut!.width).toBeLessThanOrEqual(390)
      const tops = await b.page
        .locator('.tile')
        .evaluateAll((tiles) =>
          tiles
            .slice(0, 4)
            .map(
              (t) =>
                (t as unknown as { getBoundingClientRect(): { top: number } }).getBoundingClientRect().top,
            ),
        )
      expect(tops[0]).toBe(tops[1])
      expect(tops[2]).toBeGreaterThan(tops[0]!)
      await b.page.locator('.tile .pick').nth(0).click()
      await b.page
        .locator('.tile .pick')
        .nth(3)
        .click({ modifiers: ['Shift'] })
      const bar = b.page.locator('.selection-bar')
      await expect.poll(() => bar.locator('.selection-count').textContent()).toBe('4 entries selected')
      for (const name of ['Edit a field…', 'Archive 4 entries…', 'Clear selection']) {
        const box = await bar.getByRole('button', { name }).boundingBox()
        expect(box!.x).toBeGreaterThanOrEqual(0)
        expect(box!.x + box!.width).toBeLessThanOrEqual(390)
        expect(box!.y + box!.height).toBeLessThanOrEqual(844)
      }
      await shot('08-390px-selection')
      await bar.getByRole('button', { name: 'Clear selection' }).click()
      expect(await bar.count()).toBe(0)
    } finally {
      await b.page.setViewportSize({ width: 1280, height: 900 })
    }
  })
})
