import { Readable } from 'node:stream'
import { sql } from 'kysely'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMediaEntryRepository } from '../../src/db/media-entry.repository.js'
import type { MediaEntry } from '../../src/media/entry.js'
import { DIALECTS } from '../helpers/dialects.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { firstPageFigures, launchBrowser, visibleThumbnailsComplete, type TestBrowser } from './browser.js'

const ENTRIES = 100_000
const ORIGINALS = 12
const CHUNK = 5_000

/** 100,000 entries straight into the database (no HTTP, no validation), sharing 12 stored originals. */
async function fillLibrary(server: TestServer): Promise<void> {
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
    await server.deps.blobs.put(key, Readable.from([bytes]), { contentType: 'image/jpeg' })
    keys.push({ key, size: bytes.length })
  }
  const repository = createMediaEntryRepository(server.deps.database)
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

describe.each(DIALECTS)('first grid page with 100,000 entries (%s)', (dialect) => {
  let server: TestServer
  let b: TestBrowser

  beforeAll(async () => {
    server = await startTestServer(dialect)
    const started = Date.now()
    await fillLibrary(server)
    console.log(`[ui perf ${dialect}] inserted ${ENTRIES} entries in ${Date.now() - started} ms`)
    b = await launchBrowser()
  }, 240_000)
  afterAll(async () => {
    await b?.close()
    await server?.close()
  })

  it('shows the first page and prints how long it took (Performance API, not asserted)', async () => {
    const login = await b.page.request.post(`${server.baseUrl}/ui/login`, {
      data: { token: server.token },
      headers: { 'x-medialib-ui': '1' },
    })
    expect(login.status()).toBe(200)
    // 1: a fresh browser right after the bulk load; 2: again, browser cache warm; 3: after ANALYZE, as
    // autovacuum (PostgreSQL) would do shortly after such a load; right after it, PostgreSQL's planner
    // still believes the table is nearly empty and sorts the whole project for the first page.
    for (const run of [
      'cold browser, fresh after bulk load',
      'warm browser',
      'warm browser, after ANALYZE',
    ]) {
      if (run.includes('ANALYZE')) await sql`ANALYZE`.execute(server.deps.database.db)
      await b.page.goto(`${server.baseUrl}/`)
      await b.page.waitForSelector('.grid .tile')
      await b.page.waitForFunction(visibleThumbnailsComplete)
      const figures = await b.page.evaluate(firstPageFigures)
      expect(figures.tiles).toBe(60)
      console.log(
        `[ui perf ${dialect}, ${run}] first grid page of ${ENTRIES} entries: ${figures.firstPageMs?.toFixed(0)} ms after navigation start ` +
          `(DOMContentLoaded ${figures.domContentLoadedMs?.toFixed(0)} ms, search request ${figures.searchRequestMs?.toFixed(0)} ms, ` +
          `visible thumbnails done ${figures.visibleThumbnailsDoneMs?.toFixed(0)} ms)`,
      )
    }
    await b.screenshot(`ui-10-first-page-100k-${dialect}`)
  }, 60_000)
})
