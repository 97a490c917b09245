import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EntrySearch } from '../../src/db/media-entry.repository.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import { fullScans, planOf, recordingRepository } from './media-library-explain.js'

const MEDIA_TYPES = [
  {
    handle: 'photo',
    type: 'mediaImage',
    metadata: [
      { handle: 'title', type: 'li-text', config: { index: true } },
      { handle: 'caption', type: 'li-text' },
      { handle: 'credit', type: 'li-text', config: { index: true } },
    ],
  },
  {
    handle: 'clip',
    type: 'mediaVideo',
    metadata: [{ handle: 'title', type: 'li-text', config: { index: true } }],
  },
]

type Page = { results: { id: string; state?: string }[]; cursor: string | null }

describe.each(DIALECTS)('GET /api/:apiVersion/mediaLibrary search and paging (%s)', (dialect) => {
  let server: TestServer
  let token: string
  let between: string
  let beforePatch: string
  beforeAll(async () => {
    server = await startTestServer(dialect)
    await server.deps.projects.create('search', MEDIA_TYPES as never)
    token = await server.createToken('search', ['public-api:read', 'public-api:write'])
    const photo = (id: string, systemName: string, metadata: Record<string, unknown>, filename: string) =>
      imageEntry({
        id,
        systemName,
        externalId: `x-${id}`,
        mediaType: 'photo',
        metadata,
        asset: {
          key: `k/${id}.jpg`,
          url: `https://cdn.example.com/${id}.jpg`,
          size: 1,
          width: 1,
          height: 1,
          filename,
          mimeType: 'image/jpeg',
        },
      })
    const clip = {
      id: 'a3',
      systemName: 'sysA',
      mediaType: 'clip',
      metadata: { title: 'Harbour timelapse' },
      asset: {
        key: 'k/a3.mp4',
        url: 'https://cdn.example.com/a3.mp4',
        size: 1,
        width: 1,
        height: 1,
        duration: 2.5,
        filename: 'clip.mp4',
        mimeType: 'video/mp4',
      },
    }
    const post = async (entries: unknown[]) => {
      const res = await request(server, 'POST', '/api/2026-01/import/mediaLibrary', {
        token,
        body: { mediaLibraryEntries: entries },
      })
      for (const r of (res.body as { results: { ok: boolean }[] }).results)
        expect(r).toMatchObject({ ok: true })
    }
    await post([
      photo('a1', 'sysA', { title: 'Harbour sunset', caption: 'zebra' }, 'harbour.jpg'),
      photo('a2', 'sysB', { title: 'Mountain lake', credit: 'Jürgen Müller' }, 'lake-01.jpg'),
    ])
    await new Promise((r) => setTimeout(r, 20))
    between = new Date(Date.now() - 10).toISOString()
    await post([
      clip,
      photo('a4', 'sysA', { title: 'Street' }, 'street.jpg'),
      photo('a5', 'sysB', { title: 'Old harbour' }, 'old.jpg'),
    ])
    await new Promise((r) => setTimeout(r, 20))
    beforePatch = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 5))
    const patch = (id: string, operation: string) =>
      request(server, 'PATCH', `/api/2026-01/mediaLibrary/${id}`, {
        token,
        body: { patches: [{ operation }] },
      })
    expect((await patch('a4', 'revokeAsset')).status).toBe(200)
    expect((await patch('a5', 'archive')).status).toBe(200)
  })
  afterAll(async () => {
    await server.close()
  })

  const search = async (query: string, version = '2026-01') => {
    const res = await request(server, 'GET', `/api/${version}/mediaLibrary${query}`, { token })
    return res
  }
  const ids = async (query: string) => {
    const res = await search(query)
    expect(res.status).toBe(200)
    return (res.body as Page).results.map((r) => r.id)
  }

  it('lists in insertion order, leaving archived entries out by default, with a null cursor at the end', async () => {
    const res = await search('')
    expect(res.status).toBe(200)
    const body = res.body as Page
    expect(body.results.map((r) => r.id)).toEqual(['a1', 'a2', 'a3', 'a4'])
    expect(body.cursor).toBeNull()
    expect(body.results[3]).toMatchObject({ id: 'a4', state: 'revoked' })
    expect(Object.keys(body)).toEqual(['results', 'cursor'])
  })

  it('filters by mediaType, systemName and each state', async () => {
    expect(await ids('?mediaType=clip')).toEqual(['a3'])
    expect(await ids('?mediaType=photo&systemName=sysB')).toEqual(['a2'])
    expect(await ids('?systemName=sysA')).toEqual(['a1', 'a3', 'a4'])
    expect(await ids('?state=active')).toEqual(['a1', 'a2', 'a3'])
    expect(await ids('?state=revoked')).toEqual(['a4'])
    expect(await ids('?state=archived')).toEqual(['a5'])
    expect(await ids('?state=active,revoked,archived')).toEqual(['a1', 'a2', 'a3', 'a4', 'a5'])
    expect(await ids('?state=revoked,archived')).toEqual(['a4', 'a5'])
  })

  it('filters by createdAfter, createdBefore and updatedAfter', async () => {
    expect(await ids(`?createdAfter=${between}`)).toEqual(['a3', 'a4'])
    expect(await ids(`?createdBefore=${between}`)).toEqual(['a1', 'a2'])
    expect(await ids(`?updatedAfter=${beforePatch}`)).toEqual(['a4'])
    expect(await ids(`?updatedAfter=${beforePatch}&state=active,revoked,archived`)).toEqual(['a4', 'a5'])
  })

  it('searches the indexed properties and filenames, by word prefix, ignoring case and accents', async () => {
    expect(await ids('?q=harbour')).toEqual(['a1', 'a3'])
    expect(await ids('?q=harbour&state=archived')).toEqual(['a5'])
    expect(await ids('?q=HARB%20sun')).toEqual(['a1'])
    expect(await ids('?q=zebra')).toEqual([]) // caption is not indexed
    expect(await ids('?q=jurgen')).toEqual(['a2'])
    expect(await ids('?q=M%C3%BCller')).toEqual(['a2'])
    expect(await ids('?q=lake-01.jpg')).toEqual(['a2'])
    expect(await ids('?q=clip&mediaType=clip')).toEqual(['a3'])
    expect(await ids('?q=harbour&mediaType=photo')).toEqual(['a1'])
  })

  it('pages with limit and the cursor, also through a full-text search', async () => {
    const first = (await search('?limit=3')).body as Page
    expect(first.results.map((r) => r.id)).toEqual(['a1', 'a2', 'a3'])
    expect(first.cursor).toEqual(expect.any(String))
    const second = (await search(`?limit=3&after=${first.cursor}`)).body as Page
    expect(second).toMatchObject({ results: [{ id: 'a4' }], cursor: null })

    const q1 = (await search('?q=harbour&limit=1')).body as Page
    expect(q1.results.map((r) => r.id)).toEqual(['a1'])
    const q2 = (await search(`?q=harbour&limit=1&after=${q1.cursor}`)).body as Page
    expect(q2.results.map((r) => r.id)).toEqual(['a3'])
    // a page that happens to end exactly at the last entry says so
    expect(q2.cursor).toBeNull()
  })

  it('answers in each version wrapper, with the cursor', async () => {
    for (const version of ['v1', 'beta', '2025-03', '2025-11']) {
      const res = await search('?limit=2', version)
      expect(res.body).toEqual({ mediaLibraryEntries: expect.any(Array), cursor: expect.any(String) })
    }
    const late = await search('?limit=2', '2026-07')
    expect(late.body).toEqual({ results: expect.any(Array), cursor: expect.any(String) })
  })

  it('refuses bad search input with a 400 in the envelope', async () => {
    const cases: [string, string][] = [
      ['?limit=0', 'limit'],
      ['?limit=1001', 'limit'],
      ['?limit=ten', 'limit'],
      ['?after=bm9wZQ', 'after'],
      ['?state=deleted', 'state'],
      ['?createdAfter=yesterday', 'createdAfter'],
      ['?updatedAfter=2026-13-45T99:00:00Z', 'updatedAfter'],
      ['?q=%21%21%21', 'q'],
      ['?ids=a1&limit=5', 'limit'],
      ['?externalId=x-a1&systemName=sysA&q=x', 'q'],
    ]
    for (const [query, field] of cases) {
      const res = await search(query)
      expect(res.status, query).toBe(400)
      expect(res.body, query).toMatchObject({ status: 400, error: 'Bad Request' })
      expect(Object.keys((res.body as { error_details: object }).error_details), query).toEqual([field])
    }
  })

  it('runs every query through an index (EXPLAIN)', async () => {
    const { repo, take } = recordingRepository(server.deps.database)
    const base: EntrySearch = { states: ['active', 'revoked'], limit: 50 }
    const now = new Date()
    const searches: EntrySearch[] = [
      base,
      { ...base, afterSeq: 2 },
      { ...base, mediaType: 'clip' },
      { ...base, systemName: 'sysA' },
      { ...base, states: ['active'] },
      { ...base, states: ['revoked'] },
      { ...base, states: ['archived'] },
      { ...base, states: ['active', 'revoked', 'archived'] },
      { ...base, createdAfter: now },
      { ...base, createdBefore: now },
      { ...base, updatedAfter: now },
      { ...base, words: ['harbour'] },
      { ...base, words: ['harbour', 'sun'], afterSeq: 1, mediaType: 'photo' },
    ]
    for (const s of searches) await repo.search('search', s)
    await repo.get('search', 'a1')
    await repo.listByIds('search', ['a1', 'a2'])
    await repo.listByExternalIds('search', 'sysA', ['x-a1'])
    const queries = take()
    // SQLite adds a bounded probe per time filter (see narrowTimeIndex); it is EXPLAINed too.
    expect(queries.length).toBeGreaterThanOrEqual(searches.length + 3)
    for (const query of queries) {
      const plan = await planOf(server.deps.database, query)
      expect(fullScans(plan), `${query.sql}\n${plan.join('\n')}`).toEqual([])
    }
    // The check can fail: a query on an unindexed column shows its full scan.
    const unindexed = await planOf(server.deps.database, {
      sql: 'SELECT id FROM media_entries WHERE version = 7',
      parameters: [],
    } as never)
    expect(fullScans(unindexed)).toHaveLength(1)
    if (process.env.MEDIALIB_PRINT_PLANS) {
      for (const query of queries)
        console.log(query.sql, '\n ', (await planOf(server.deps.database, query)).join('\n  '))
    }
  })
})
