import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import type { EntrySearch } from '../../src/db/media-entry.repository.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import { fullScans, planOf, recordingRepository } from './media-library-explain.js'

type Rec = { id: string; createdAt: string; updatedAt: string }
type Page = { results: Rec[]; cursor: string | null; total?: number; totalExact?: boolean }

const BATCHES = 3
const PER_BATCH = 200
const EXACT_UP_TO = 250

describe.each(DIALECTS)('search sort and count (%s)', (dialect) => {
  let server: TestServer
  /** Every entry, in insertion order. */
  const inserted: string[] = []
  /** Entries patched after the imports, in patch order (they come last by updatedAt). */
  const patched: string[] = []

  const importBatch = async (n: number, extra: (i: number) => Record<string, unknown> = () => ({})) => {
    const res = await request(server, 'POST', '/api/2026-01/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: Array.from({ length: n }, (_, i) => imageEntry(extra(i))) },
    })
    const results = (res.body as { results: { ok: boolean; id: string }[] }).results
    expect(results.every((r) => r.ok)).toBe(true)
    return results.map((r) => r.id)
  }

  const get = (query: string, version = '2026-01') =>
    request(server, 'GET', `/api/${version}/mediaLibrary?${query}`, { token: server.token })

  const pageThrough = async (query: string, limit: number, onPage?: () => Promise<void>) => {
    const seen: Rec[] = []
    let after: string | null = null
    let pages = 0
    do {
      const res = await get(`${query}&limit=${limit}${after ? `&after=${after}` : ''}`)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      const body = res.body as Page
      seen.push(...body.results)
      after = body.cursor
      pages++
      if (onPage) await onPage()
    } while (after !== null && pages < 1_000)
    return seen
  }

  beforeAll(async () => {
    server = await startTestServer(dialect, {
      limits: { ...DEFAULT_CONFIG.limits, countExactUpTo: EXACT_UP_TO },
    })
    const imported: string[] = []
    for (let b = 0; b < BATCHES; b++) {
      // A batch shares one createdAt: ties, settled by insertion order. Half of each batch is system 'even'.
      imported.push(...(await importBatch(PER_BATCH, (i) => ({ systemName: i % 2 === 0 ? 'even' : 'odd' }))))
      await new Promise((r) => setTimeout(r, 5))
    }
    // The insertion order (within a batch the import's own) is the unsorted search's order.
    inserted.push(...(await pageThrough('', 1_000)).map((r) => r.id))
    expect(new Set(inserted)).toEqual(new Set(imported))
    for (const id of [inserted[10]!, inserted[500]!, inserted[0]!]) {
      await new Promise((r) => setTimeout(r, 5))
      const res = await request(server, 'PATCH', `/api/2026-01/mediaLibrary/${id}`, {
        token: server.token,
        body: { patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'moved' }] },
      })
      expect(res.status).toBe(200)
      patched.push(id)
    }
  }, 120_000)
  afterAll(async () => {
    await server.close()
  })

  it('orders by each sort, ties by insertion order, every entry once across pages', async () => {
    const byUpdate = [...inserted.filter((id) => !patched.includes(id)), ...patched]
    const expected: Record<string, string[]> = {
      createdAt: inserted,
      '-createdAt': [...inserted].reverse(),
      updatedAt: byUpdate,
      '-updatedAt': [...byUpdate].reverse(),
    }
    for (const [sort, ids] of Object.entries(expected)) {
      const seen = await pageThrough(`sort=${sort}`, 70)
      expect(
        seen.map((r) => r.id),
        sort,
      ).toEqual(ids)
      const field = sort.endsWith('createdAt') ? 'createdAt' : 'updatedAt'
      const times = seen.map((r) => r[field])
      const sorted = [...times].sort()
      expect(times).toEqual(sort.startsWith('-') ? sorted.reverse() : sorted)
    }
    // Without sort: today's insertion order, unchanged.
    expect((await pageThrough('', 100)).map((r) => r.id)).toEqual(inserted)
  })

  it('combines sorts with filters and full text', async () => {
    const even = (await pageThrough('systemName=even', 1_000)).map((r) => r.id)
    expect(even).toHaveLength((BATCHES * PER_BATCH) / 2)
    expect((await pageThrough('sort=-createdAt&systemName=even', 33)).map((r) => r.id)).toEqual(
      [...even].reverse(),
    )
    const moved = await pageThrough('sort=-updatedAt&q=moved', 2)
    expect(moved.map((r) => r.id)).toEqual([...patched].reverse())
  })

  it('pages newest first while imports run: each entry that was there once, new ones not in between', async () => {
    const added: string[] = []
    const seen = await pageThrough('sort=-createdAt', 50, async () => {
      added.push(...(await importBatch(20)))
    })
    const ids = seen.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual([...inserted].reverse())
    // Oldest first, the new entries come at the end: each entry exactly once, the new ones included
    // (all but the last import, which came after the last page).
    const addedBefore = added.length
    const oldestFirst = (
      await pageThrough('sort=createdAt', 100, async () => {
        added.push(...(await importBatch(20)))
      })
    ).map((r) => r.id)
    expect(new Set(oldestFirst).size).toBe(oldestFirst.length)
    expect(oldestFirst.slice(0, inserted.length)).toEqual(inserted)
    const rest = oldestFirst.slice(inserted.length)
    expect(rest.every((id) => added.includes(id))).toBe(true)
    expect(rest.length).toBe(added.length - 20)
    expect(rest.length).toBeGreaterThan(addedBefore)
    inserted.push(...added)
  }, 60_000)

  it('orders full-text matches by relevance, best first, every match once across pages', async () => {
    const names = [
      'sunset-sunset-sunset',
      'sunset',
      'sunset',
      'harbour-at-sunset-with-many-other-words',
      'sunset',
    ]
    const ids = await importBatch(names.length, (i) => ({
      asset: { ...(imageEntry().asset as object), filename: `${names[i]}.jpg` },
    }))
    const best = ids[0]!
    const all = (await get('sort=relevance&q=sunset&limit=100')).body as Page
    expect(all.results.map((r) => r.id)[0]).toBe(best)
    expect(new Set(all.results.map((r) => r.id))).toEqual(new Set(ids))
    // The long name (the word diluted) ranks after the plain ones.
    expect(all.results.map((r) => r.id)[names.length - 1]).toBe(ids[3])
    const paged = await pageThrough('sort=relevance&q=sunset', 2)
    expect(paged.map((r) => r.id)).toEqual(all.results.map((r) => r.id))
    const sortedCursor = (await get('sort=relevance&q=sunset&limit=1')).body as Page
    expect((await get(`sort=-createdAt&q=sunset&after=${sortedCursor.cursor}`)).status).toBe(400)
    const noQuery = await get('sort=relevance')
    expect(noQuery.status).toBe(400)
    expect(noQuery.body).toMatchObject({ error_details: { sort: 'relevance needs a full-text search (q)' } })
    inserted.push(...ids)
  })

  it('ties a cursor to its sort: a cursor of another order is a 400', async () => {
    const sorted = (await get('sort=-createdAt&limit=5')).body as Page
    const plain = (await get('limit=5')).body as Page
    expect(sorted.cursor).toBeTypeOf('string')
    expect(plain.cursor).toBeTypeOf('string')
    const cases = [
      `sort=createdAt&after=${sorted.cursor}`,
      `sort=-updatedAt&after=${sorted.cursor}`,
      `after=${sorted.cursor}`,
      `sort=-createdAt&after=${plain.cursor}`,
      `sort=-createdAt&after=${Buffer.from('ml2.-createdAt|yesterday|5').toString('base64url')}`,
      'sort=newest',
      'sort=createdAt,updatedAt',
      'count=maybe',
      'ids=a&sort=-createdAt',
    ]
    for (const query of cases) {
      const res = await get(query)
      expect(res.status, query).toBe(400)
      expect(res.body, query).toMatchObject({ status: 400, error: 'Bad Request' })
    }
    const cross = await get(`sort=createdAt&after=${sorted.cursor}`)
    expect(JSON.stringify(cross.body)).toContain('sort=-createdAt')
  })

  it('counts exactly up to the threshold and estimates beyond it, marked as such', async () => {
    const total = inserted.length
    const all = (await get('count=true&limit=1')).body as Page
    expect(all.totalExact).toBe(false)
    // Unfiltered, the density is 1: the estimate is the project's size.
    expect(all.total).toBe(total)
    const even = (await get('count=true&systemName=even&limit=1')).body as Page
    expect(even.totalExact).toBe(false)
    expect(even.total).toBeGreaterThan(EXACT_UP_TO)
    expect(even.total).toBeLessThan(total)
    const exact = (await get('count=true&q=moved&sort=-createdAt')).body as Page
    expect(exact).toMatchObject({ total: patched.length, totalExact: true })
    const none = (await get('count=true&q=nothingmatchesthis')).body as Page
    expect(none).toMatchObject({ results: [], total: 0, totalExact: true, cursor: null })
    const legacy = (await get('count=true&q=moved', 'v1')).body as Record<string, unknown>
    expect(legacy).toMatchObject({ total: patched.length, totalExact: true })
    expect(legacy.mediaLibraryEntries).toHaveLength(patched.length)
    // Without count=true nothing is counted.
    expect(Object.keys((await get('limit=1')).body as object).sort()).toEqual(['cursor', 'results'])
  })

  it('runs each sort through an index, without a sort step when there is no full text (EXPLAIN)', async () => {
    const { repo, take } = recordingRepository(server.deps.database)
    const base: EntrySearch = { states: ['active', 'revoked'], limit: 50 }
    const time = new Date().toISOString()
    for (const column of ['created_at', 'updated_at'] as const) {
      for (const descending of [true, false]) {
        const sort = { column, descending }
        await repo.search(DEFAULT_PROJECT, { ...base, sort })
        await repo.search(DEFAULT_PROJECT, { ...base, sort, afterKey: { time, seq: 100 } })
        await repo.search(DEFAULT_PROJECT, { ...base, sort, mediaType: 'image', states: ['active'] })
      }
    }
    for (const query of take()) {
      const plan = await planOf(server.deps.database, query)
      const detail = `${query.sql}\n${plan.join('\n')}`
      expect(fullScans(plan), detail).toEqual([])
      expect(
        plan.filter((l) => /TEMP B-TREE FOR ORDER BY|^\s*(->\s*)?(Incremental )?Sort\b/.test(l)),
        detail,
      ).toEqual([])
    }
    await repo.search(DEFAULT_PROJECT, {
      ...base,
      words: ['moved'],
      sort: { column: 'created_at', descending: true },
    })
    await repo.search(DEFAULT_PROJECT, { ...base, words: ['moved'], relevance: true })
    await repo.count(DEFAULT_PROJECT, { ...base, words: ['moved'] }, EXACT_UP_TO)
    await repo.count(DEFAULT_PROJECT, { ...base, systemName: 'even' }, EXACT_UP_TO)
    for (const query of take()) {
      const plan = await planOf(server.deps.database, query)
      if (process.env.MEDIALIB_PRINT_PLANS) console.log(query.sql, '\n ', plan.join('\n  '))
      // The relevance CTE is scanned as a whole: it holds the matches, read through the full-text index.
      const scans = fullScans(plan).filter((line) => !/SCAN scored$|CTE Scan on scored/.test(line.trim()))
      expect(scans, `${query.sql}\n${plan.join('\n')}`).toEqual([])
    }
  })
})
