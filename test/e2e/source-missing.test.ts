import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultMediaTypes } from '../../src/media/media-types/media-type.js'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage } from '../helpers/media-server.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

/*
 * Issue #22: `GET /api/:apiVersion/mediaLibrary?sourceState=missing`, the entries whose source object
 * vanished, over real scans of a disk source; isolated by project; paged, sorted, counted and combined with
 * the other filters; a file that comes back leaves the filter; bad input is a 400 in the envelope; and the
 * filter reads the partial index of migration 0017.
 */
const API = '/api/2026-07'

interface Page {
  results: { id: string; externalId?: string }[]
  cursor?: string | null
  total?: number
  totalExact?: boolean
}

describe.each(DIALECTS)('the sourceState=missing search filter (%s)', (dialect) => {
  let server: TestServer
  let dir: string
  let otherDir: string
  let otherToken: string
  const write = async (root: string, rel: string, shade: number) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
    writeFileSync(path.join(root, rel), await makeImage('png', 16 + shade, 12, [shade * 20, 90, 200]))
  }
  const search = async (query: string, token = server.token) => {
    const res = await request(server, 'GET', `${API}/mediaLibrary?${query}`, { token })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body as Page
  }
  const externalIds = (page: Page) => page.results.map((e) => e.externalId)

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-missing-'))
    otherDir = mkdtempSync(path.join(tmpdir(), 'medialib-missing-other-'))
    for (let i = 1; i <= 6; i++) await write(dir, `f${i}.png`, i)
    await write(otherDir, 'x.png', 1)
    await write(otherDir, 'y.png', 2)
    server = await startTestServer(dialect)
    await server.deps.projects.create('other', defaultMediaTypes())
    otherToken = await server.createToken('other', ['public-api:read'])
    const { sources } = server.deps
    await sources.add('default', 'photos', { kind: 'disk', dir })
    // Another project's source of the same handle: its missing entries are never the default project's.
    await sources.add('other', 'photos', { kind: 'disk', dir: otherDir })
    expect((await sources.scan('default', 'photos')).counts.created).toBe(6)
    expect((await sources.scan('other', 'photos')).counts.created).toBe(2)
  })

  afterAll(async () => {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
    rmSync(otherDir, { recursive: true, force: true })
  })

  it('lists nothing while every object is present', async () => {
    expect((await search('sourceState=missing&count=true')).results).toEqual([])
    expect(await search('sourceState=missing&count=true')).toMatchObject({ total: 0, totalExact: true })
  })

  it('lists exactly the entries whose files vanished, in each order, paged and counted', async () => {
    unlinkSync(path.join(dir, 'f2.png'))
    unlinkSync(path.join(dir, 'f5.png'))
    unlinkSync(path.join(otherDir, 'y.png'))
    expect((await server.deps.sources.scan('default', 'photos')).counts.missing).toBe(2)
    expect((await server.deps.sources.scan('other', 'photos')).counts.missing).toBe(1)

    const all = await search('sourceState=missing&count=true')
    expect(externalIds(all).sort()).toEqual(['f2.png', 'f5.png'])
    expect(all).toMatchObject({ total: 2, totalExact: true, cursor: null })
    // The entries themselves are unchanged: still found without the filter.
    expect((await search('systemName=photos')).results).toHaveLength(6)

    // Paged by the cursor, one at a time, in insertion order and in both time orders.
    for (const sort of ['', '&sort=-createdAt', '&sort=createdAt', '&sort=-updatedAt']) {
      const first = await search(`sourceState=missing&limit=1${sort}`)
      expect(first.results).toHaveLength(1)
      expect(first.cursor).toEqual(expect.any(String))
      const second = await search(
        `sourceState=missing&limit=1${sort}&after=${encodeURIComponent(first.cursor!)}`,
      )
      expect(second.cursor).toBeNull()
      expect([...externalIds(first), ...externalIds(second)].sort()).toEqual(['f2.png', 'f5.png'])
    }

    // Combined with the other filters (each narrows).
    expect(externalIds(await search('sourceState=missing&systemName=photos&mediaType=image')).sort()).toEqual(
      ['f2.png', 'f5.png'],
    )
    expect((await search('sourceState=missing&systemName=elsewhere')).results).toEqual([])
    expect((await search('sourceState=missing&state=archived')).results).toEqual([])

    // The other project sees its own missing entry only.
    expect(externalIds(await search('sourceState=missing', otherToken))).toEqual(['y.png'])
  })

  it('finds a missing entry by full text too, and lets it go when its file comes back', async () => {
    const [f5] = (await search('sourceState=missing&sort=-createdAt')).results.filter(
      (e) => e.externalId === 'f5.png',
    )
    expect(f5).toBeDefined()
    const patched = await request(server, 'PATCH', `${API}/mediaLibrary/${f5!.id}`, {
      token: server.token,
      body: { patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'Harbour dusk' }] },
    })
    expect(patched.status, JSON.stringify(patched.body)).toBe(200)
    expect(externalIds(await search('sourceState=missing&q=harbour'))).toEqual(['f5.png'])
    expect(externalIds(await search('sourceState=missing&q=harbour&sort=relevance'))).toEqual(['f5.png'])

    await write(dir, 'f5.png', 5)
    const back = await server.deps.sources.scan('default', 'photos')
    expect(back.counts).toMatchObject({ updated: 1, missing: 0 })
    expect(externalIds(await search('sourceState=missing'))).toEqual(['f2.png'])
  })

  it('answers bad input with a 400 in the envelope', async () => {
    const wrong = await request(server, 'GET', `${API}/mediaLibrary?sourceState=gone`, {
      token: server.token,
    })
    expect(wrong.status).toBe(400)
    expect(wrong.body).toMatchObject({ status: 400, error: expect.any(String) })
    const lookup = await request(server, 'GET', `${API}/mediaLibrary?ids=a&sourceState=missing`, {
      token: server.token,
    })
    expect(lookup.status).toBe(400)
    expect(JSON.stringify(lookup.body)).toMatch(/sourceState.*applies to searches/)
  })

  it('tells the UI which of a page’s ids are missing, within the caller’s project only (/ui/source-missing)', async () => {
    const all = (await search('systemName=photos&limit=10')).results
    const other = (await search('sourceState=missing', otherToken)).results
    const ids = [...all.map((e) => e.id), ...other.map((e) => e.id)].join(',')
    const answer = await request(server, 'GET', `/ui/source-missing?ids=${ids}`, { token: server.token })
    expect(answer.status).toBe(200)
    const f2 = all.find((e) => e.externalId === 'f2.png')!
    // The other project's missing entry is not named, though its id was asked for.
    expect(answer.body).toEqual({ missing: [f2.id] })
    const tooMany = Array.from({ length: 201 }, (_, i) => `x${i}`).join(',')
    const refused = await request(server, 'GET', `/ui/source-missing?ids=${tooMany}`, { token: server.token })
    expect(refused.status).toBe(400)
    expect(refused.body).toMatchObject({ status: 400 })
    const none = await request(server, 'GET', '/ui/source-missing', { token: server.token })
    expect(none.status).toBe(400)
    const anonymous = await request(server, 'GET', `/ui/source-missing?ids=${f2.id}`)
    expect(anonymous.status).toBe(401)
  })

  it('reads the missing objects through their partial index (migration 0017)', async () => {
    const { database } = server.deps
    const query = sql`SELECT o.entry_id FROM source_objects o
      WHERE o.project = ${'default'} AND o.state = 'missing' AND o.entry_id IS NOT NULL`
    const plan =
      database.caps.name === 'sqlite'
        ? await sql<{ detail: string }>`EXPLAIN QUERY PLAN ${query}`.execute(database.db)
        : await database.db.transaction().execute(async (trx) => {
            // A few rows would be read by a sequential scan: forbid it to see that the index serves.
            await sql`SET LOCAL enable_seqscan = off`.execute(trx)
            return sql<{ 'QUERY PLAN': string }>`EXPLAIN ${query}`.execute(trx)
          })
    expect(JSON.stringify(plan.rows)).toContain('source_objects_missing')
  })
})
