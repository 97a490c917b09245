import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

type Trashed = Record<string, unknown> & {
  id: string
  version: number
  deletedAt: string
  restorableUntil: string
}
type TrashBody = { results: Trashed[] }

const DAY = 86_400_000

/** `GET /api/:apiVersion/trash/mediaLibrary`: the trash the UI's Trash page lists (issue #16, item 6). */
describe.each(DIALECTS)('the trash list (%s)', (dialect) => {
  let server: TestServer
  let deleter: string
  beforeAll(async () => {
    server = await startTestServer(dialect, { trashDays: 7 })
    deleter = await server.createToken('default', ['public-api:read', 'media-library:delete'])
  })
  afterAll(async () => {
    await server.close()
  })

  const importOne = async (metadata: Record<string, unknown>) => {
    const entry = imageEntry({ metadata })
    const res = await request(server, 'POST', '/api/2026-07/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: [entry] },
    })
    expect(res.status).toBe(200)
    return entry.id as string
  }
  const list = (token: string | undefined, query = '') =>
    request(server, 'GET', `/api/2026-07/trash/mediaLibrary${query}`, { token })
  const remove = (id: string) =>
    request(server, 'DELETE', `/api/2026-07/mediaLibrary/${id}`, { token: deleter })

  it('lists deleted entries, newest deletion first, with deletedAt and restorableUntil; restore takes one out', async () => {
    expect(await list(server.token)).toMatchObject({ status: 200, body: { results: [] } })
    const kept = await importOne({ title: 'Kept' })
    const first = await importOne({ title: 'Deleted first' })
    const second = await importOne({ title: 'Deleted second' })
    const before = Date.now()
    expect((await remove(first)).status).toBe(204)
    await new Promise((r) => setTimeout(r, 20))
    expect((await remove(second)).status).toBe(204)

    const res = await list(server.token)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const { results } = res.body as TrashBody
    expect(results.map((e) => e.id)).toEqual([second, first])
    expect(results.map((e) => e.id)).not.toContain(kept)
    for (const e of results) {
      expect(Date.parse(e.deletedAt)).toBeGreaterThanOrEqual(before - 1000)
      expect(Date.parse(e.restorableUntil) - Date.parse(e.deletedAt)).toBe(7 * DAY)
      expect(e.version).toBe(2)
    }
    expect(results[0]).toMatchObject({ mediaType: 'image', metadata: { title: 'Deleted second' } })

    expect(((await list(server.token, '?limit=1')).body as TrashBody).results.map((e) => e.id)).toEqual([
      second,
    ])

    const restored = await request(server, 'PATCH', `/api/2026-07/mediaLibrary/${first}`, {
      token: server.token,
      body: { version: 2, patches: [{ operation: 'restore' }] },
    })
    expect(restored.status).toBe(200)
    expect(((await list(server.token)).body as TrashBody).results.map((e) => e.id)).toEqual([second])
    const read = await request(server, 'GET', `/api/2026-07/mediaLibrary/${first}`, { token: server.token })
    expect(read).toMatchObject({ status: 200, body: { id: first, metadata: { title: 'Deleted first' } } })
  })

  it('needs the write scope, and shows only the token’s own project', async () => {
    const id = await importOne({ title: 'Scoped' })
    expect((await remove(id)).status).toBe(204)
    const reader = await server.createToken('default', ['public-api:read'])
    expect((await list(reader)).status).toBe(403)
    expect((await list(deleter)).status).toBe(403)
    expect((await list(undefined)).status).toBe(401)

    const other = await server.createToken('elsewhere', ['public-api:read', 'public-api:write'])
    expect(await list(other)).toMatchObject({ status: 200, body: { results: [] } })
    expect(((await list(server.token)).body as TrashBody).results.map((e) => e.id)).toContain(id)
  })

  it('refuses a bad limit or an unknown parameter with 400 in the envelope', async () => {
    for (const query of ['?limit=0', '?limit=1001', '?limit=many', '?after=x']) {
      const res = await list(server.token, query)
      expect(res.status, query).toBe(400)
      expect(res.body, query).toMatchObject({ status: 400, error: expect.any(String) })
    }
  })
})
