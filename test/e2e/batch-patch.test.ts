import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

type Result = {
  ok: boolean
  status: number
  id?: string
  record?: { id: string; version: number; metadata: Record<string, unknown>; archivedAt?: string }
  error?: string
  error_details?: Record<string, unknown>
}
type Rec = { id: string; version: number; metadata: Record<string, unknown>; updatedAt: string }

const LIMIT = 1_000

describe.each(DIALECTS)('batch PATCH /mediaLibrary (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer(dialect, {
      limits: { ...DEFAULT_CONFIG.limits, patchEntriesPerRequest: LIMIT },
    })
  })
  afterAll(async () => {
    await server.close()
  })

  const importMany = async (n: number): Promise<Rec[]> => {
    const res = await request(server, 'POST', '/api/2026-01/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: Array.from({ length: n }, () => imageEntry()) },
    })
    const results = (res.body as { results: { ok: boolean; record: Rec }[] }).results
    expect(results.every((r) => r.ok)).toBe(true)
    return results.map((r) => r.record)
  }
  const read = async (id: string) =>
    (await request(server, 'GET', `/api/2026-01/mediaLibrary/${id}`, { token: server.token })).body as Rec
  const batch = (body: unknown, version = '2026-01', token = server.token) =>
    request(server, 'PATCH', `/api/${version}/mediaLibrary`, { token, body })
  const setTitle = (value: unknown) => [{ operation: 'setMetadataProperty', propertyName: 'title', value }]

  it('applies each entry on its own: a validation failure and a version conflict do not sink the others', async () => {
    const [a, b, c, d] = await importMany(4)
    const res = await batch({
      entries: [
        { id: a!.id, version: 1, patches: setTitle('first') },
        { id: b!.id, patches: setTitle(42) },
        { id: c!.id, version: 7, patches: setTitle('stale') },
        { id: d!.id, patches: [...setTitle('archived too'), { operation: 'archive' }] },
        { id: 'no-such-entry', patches: setTitle('x') },
      ],
    })
    expect(res.status).toBe(200)
    const results = (res.body as { results: Result[] }).results
    expect(results.map((r) => [r.id, r.ok, r.status])).toEqual([
      [a!.id, true, 200],
      [b!.id, false, 400],
      [c!.id, false, 409],
      [d!.id, true, 200],
      ['no-such-entry', false, 404],
    ])
    expect(results[0]!.record).toMatchObject({ id: a!.id, version: 2, metadata: { title: 'first' } })
    expect(results[1]).toMatchObject({
      error: 'ValidationError',
      error_details: {
        message: 'Metadata validation failed.',
        errors: [{ metadataProperty: 'title', message: "The value of '/title' must be string" }],
      },
    })
    expect(results[2]).toMatchObject({
      error: 'Conflict',
      error_details: { message: 'Version: Expected 1 to be equal to 7' },
    })
    expect(results[3]!.record).toMatchObject({ version: 2, metadata: { title: 'archived too' } })
    expect(results[3]!.record!.archivedAt).toBeTypeOf('string')

    // What was stored is what the results say: the refused entries are unchanged.
    expect(await read(a!.id)).toMatchObject({ version: 2, metadata: { title: 'first' } })
    expect(await read(b!.id)).toEqual(b)
    expect(await read(c!.id)).toEqual(c)
    expect((await read(d!.id)).version).toBe(2)
  })

  it('words errors per API version and applies two items for one entry in order', async () => {
    const [a] = await importMany(1)
    const res = await batch(
      {
        entries: [
          { id: a!.id, version: '1', patches: setTitle('one') },
          { id: a!.id, version: 1, patches: setTitle('lost') },
          { id: a!.id, version: 2, patches: setTitle(false) },
          { id: a!.id, patches: [{ operation: 'setMetadataProperty', value: 'x' }] },
        ],
      },
      'v1',
    )
    expect(res.status).toBe(200)
    const results = (res.body as { mediaLibraryEntries: Result[] }).mediaLibraryEntries
    expect(results.map((r) => r.status)).toEqual([200, 409, 400, 400])
    expect(results[2]).toMatchObject({ error: 'MetadataValidationErrors' })
    expect(results[3]).toMatchObject({
      error: 'Bad Request',
      error_details: { 'patches.0.propertyName': 'is required for setMetadataProperty' },
    })
    expect(await read(a!.id)).toMatchObject({ version: 2, metadata: { title: 'one' } })

    // Two accepted items for one entry: both count, one after the other.
    const twice = await batch({
      entries: [
        { id: a!.id, version: 2, patches: setTitle('x') },
        { id: a!.id, version: 3, patches: setTitle('y') },
      ],
    })
    const both = (twice.body as { results: Result[] }).results
    expect(both.map((r) => [r.status, r.record?.version, r.record?.metadata.title])).toEqual([
      [200, 3, 'x'],
      [200, 4, 'y'],
    ])
    expect(await read(a!.id)).toMatchObject({ version: 4, metadata: { title: 'y' } })
  })

  it('refuses a malformed body, an empty batch, too many entries and a read-only token with 4xx, writing nothing', async () => {
    const [a] = await importMany(1)
    const cases: unknown[] = [
      { entries: [] },
      { entries: [{ id: a!.id, patches: setTitle('x') }, { id: a!.id }] },
      { entries: [{ id: a!.id, patches: [{ operation: 'explode' }] }] },
      { entries: [{ id: 'bad id!', patches: setTitle('x') }] },
      { entries: Array.from({ length: LIMIT + 1 }, () => ({ id: a!.id, patches: setTitle('x') })) },
      [{ id: a!.id, patches: setTitle('x') }],
    ]
    for (const body of cases) {
      const res = await batch(body)
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({ status: 400, error: 'Bad Request' })
    }
    const reader = await server.createToken('default', ['public-api:read'])
    const forbidden = await batch({ entries: [{ id: a!.id, patches: setTitle('x') }] }, '2026-01', reader)
    expect(forbidden.status).toBe(403)
    expect(await read(a!.id)).toEqual(a)
  })

  it(`patches ${LIMIT} entries in one request`, async () => {
    const recs = await importMany(LIMIT)
    const body = {
      entries: recs.map((r, i) => ({ id: r.id, version: r.version, patches: setTitle(`batch ${i}`) })),
    }
    const started = performance.now()
    const res = await batch(body)
    const ms = performance.now() - started
    console.log(`[${dialect}] batch PATCH of ${LIMIT} entries: ${ms.toFixed(0)} ms`)
    expect(res.status).toBe(200)
    const results = (res.body as { results: Result[] }).results
    expect(results).toHaveLength(LIMIT)
    expect(results.every((r, i) => r.ok && r.record!.metadata.title === `batch ${i}`)).toBe(true)
    expect(await read(recs[LIMIT - 1]!.id)).toMatchObject({
      version: 2,
      metadata: { title: `batch ${LIMIT - 1}` },
    })
  }, 60_000)

  it(`archives and un-archives ${LIMIT} entries in one request each; an entry that is not archived is a 409 of its own`, async () => {
    const recs = await importMany(LIMIT)
    const op = (operation: string) => ({
      entries: recs.map((r) => ({ id: r.id, patches: [{ operation }] })),
    })
    let started = performance.now()
    const archived = await batch(op('archive'))
    const archiveMs = performance.now() - started
    expect(archived.status).toBe(200)
    expect((archived.body as { results: Result[] }).results.every((r) => r.ok && r.record!.archivedAt)).toBe(
      true,
    )
    // The last one is un-archived on its own first: in the batch it is not archived any more.
    const last = recs[LIMIT - 1]!
    expect((await batch({ entries: [{ id: last.id, patches: [{ operation: 'unarchive' }] }] })).status).toBe(
      200,
    )
    started = performance.now()
    const res = await batch(op('unarchive'))
    const unarchiveMs = performance.now() - started
    console.log(
      `[${dialect}] batch archive of ${LIMIT} entries: ${archiveMs.toFixed(0)} ms; un-archive: ${unarchiveMs.toFixed(0)} ms`,
    )
    expect(res.status).toBe(200)
    const results = (res.body as { results: Result[] }).results
    expect(results.slice(0, -1).every((r) => r.ok && r.record!.archivedAt === undefined)).toBe(true)
    expect(results[LIMIT - 1]).toMatchObject({ ok: false, status: 409, id: last.id })
    const first = (await read(recs[0]!.id)) as Rec & { archivedAt?: string }
    expect(first.version).toBe(3)
    expect(first.archivedAt).toBeUndefined()
  }, 60_000)
})
