import { Readable } from 'node:stream'
import { sql } from 'kysely'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMediaEntryRepository } from '../../src/db/media-entry.repository.js'
import type { Deps } from '../../src/deps.js'
import type { MediaEntry } from '../../src/media/entry.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { DIALECTS } from '../helpers/dialects.js'
import { startServeProcess, type ServeProcess } from '../helpers/process.js'
import { openTestDeps } from '../helpers/server.js'
import { firstPageFigures, launchBrowser, visibleThumbnailsComplete, type TestBrowser } from './browser.js'

const ENTRIES = 100_000
const ORIGINALS = 12
const CHUNK = 5_000

/** 100,000 entries straight into the database (no HTTP, no validation), sharing 12 stored originals. */
async function fillLibrary(deps: Deps): Promise<void> {
  const keys: { key: string; size: number }[] = []
  for (let i = 0; i < ORIGINALS; i++) {
    const bytes = await sharp({
      create: {
        width: 800,
        height: 600,
        channels: 3,
        background: { r: (i * 20) % 256, g: 90, b: 200 - i * 10 },
      },
    })
      .jpeg()
      .toBuffer()
    const key = `2026/01/01/bulk-${i}.jpg`
    await deps.blobs.files('default').put(key, Readable.from([bytes]), { contentType: 'image/jpeg' })
    keys.push({ key, size: bytes.length })
  }
  const repository = createMediaEntryRepository(deps.database)
  const start = Date.parse('2025-01-01T00:00:00Z')
  for (let offset = 0; offset < ENTRIES; offset += CHUNK) {
    const batch: MediaEntry[] = []
    for (let n = offset; n < Math.min(ENTRIES, offset + CHUNK); n++) {
      const original = keys[n % ORIGINALS]!
      const at = new Date(start + n * 60_000).toISOString()
      batch.push({
        id: `bulk-${n}`,
        version: 1,
        mediaType: 'image',
        systemName: 'bulk',
        externalId: `bulk-${n}`,
        asset: {
          key: original.key,
          url: `http://127.0.0.1/${original.key}`,
          size: original.size,
          width: 800,
          height: 600,
          filename: `bulk-${n}.jpg`,
          mimeType: 'image/jpeg',
        },
        metadata: { title: `Bulk photo ${n}` },
        createdAt: at,
        updatedAt: at,
        searchText: `bulk photo ${n} bulk ${n} jpg`,
      })
    }
    const outcome = await repository.insertNew('default', batch)
    expect(outcome.inserted.size).toBe(batch.length)
  }
}

/*
 * The library is filled straight into the database and blob store, then a real `medialib serve` process
 * starts over it: the situation of a server restarted over an existing library, measured without the
 * test runner sharing the server's event loop (Playwright's protocol traffic runs in the test process).
 */
describe.each(DIALECTS)('first grid page with 100,000 entries (%s)', (dialect) => {
  let opened: Awaited<ReturnType<typeof openTestDeps>>
  let deps: Deps
  let serve: ServeProcess
  let token: string
  let b: TestBrowser

  beforeAll(async () => {
    opened = await openTestDeps(dialect)
    deps = opened.deps
    const started = Date.now()
    await fillLibrary(deps)
    console.log(`[ui perf ${dialect}] inserted ${ENTRIES} entries in ${Date.now() - started} ms`)
    token = (await deps.tokens.create({ project: DEFAULT_PROJECT, scopes: ['public-api:read'] })).token
    const url = opened.db.config.databaseUrl
    serve = await startServeProcess(['--data-dir', opened.db.dataDir, ...(url ? ['--database', url] : [])])
    b = await launchBrowser()
  }, 240_000)
  afterAll(async () => {
    await b?.close()
    await serve?.stop()
    await opened?.close()
  })

  it('shows the first page and prints how long it took (Performance API, not asserted)', async () => {
    const login = await b.page.request.post(`${serve.baseUrl}/ui/login`, {
      data: { token },
      headers: { 'x-medialib-ui': '1' },
    })
    expect(login.status()).toBe(200)
    // 1: a fresh browser (new profile, empty cache) on a server just started over the library; 2: again,
    // browser cache warm; 3: after ANALYZE, as autovacuum (PostgreSQL) would do shortly after such a load;
    // right after it, PostgreSQL's planner still believes the table is nearly empty.
    for (const run of ['cold browser, server just started', 'warm browser', 'warm browser, after ANALYZE']) {
      if (run.includes('ANALYZE')) await sql`ANALYZE`.execute(deps.database.db)
      await b.page.goto(`${serve.baseUrl}/`)
      await b.page.waitForSelector('.grid .tile')
      await b.page.waitForFunction(visibleThumbnailsComplete)
      const figures = await b.page.evaluate(firstPageFigures)
      expect(figures.tiles).toBe(60)
      // The page's preloads of the first page and the session were used, not fetched a second time.
      expect([figures.searchRequests, figures.sessionRequests]).toEqual([1, 1])
      console.log(
        `[ui perf ${dialect}, ${run}] first grid page of ${ENTRIES} entries: ${figures.firstPageMs?.toFixed(0)} ms after navigation start ` +
          `(DOMContentLoaded ${figures.domContentLoadedMs?.toFixed(0)} ms, search answered ${figures.searchDoneMs?.toFixed(0)} ms ` +
          `after ${figures.searchRequestMs?.toFixed(0)} ms, visible thumbnails done ${figures.visibleThumbnailsDoneMs?.toFixed(0)} ms)`,
      )
    }
    // Newest first, with the library's count: beyond limits.countExactUpTo (10,000) an estimate, said so.
    const titles = b.page.locator('.tile-title')
    expect(await titles.first().textContent()).toBe(`Bulk photo ${ENTRIES - 1}`)
    await expect
      .poll(() => b.page.locator('p.count').textContent())
      .toBe('About 100,000 entries · 60 shown, more below')
    await b.screenshot(`ui-10-first-page-100k-${dialect}`)
    await b.page.getByLabel('Sort').selectOption('createdAt')
    await expect.poll(() => titles.first().textContent()).toBe('Bulk photo 0')
    await b.screenshot(`ui-10b-oldest-first-100k-${dialect}`)
  }, 60_000)
})
