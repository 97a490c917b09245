import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

type Result = Record<string, unknown> & { ok: boolean; status: number; id: string }

describe.each(DIALECTS)('batch delete (%s)', (dialect) => {
  let server: TestServer
  let deleter: string
  beforeAll(async () => {
    server = await startTestServer(dialect, {
      limits: { ...DEFAULT_CONFIG.limits, deleteEntriesPerRequest: 5 },
    })
    deleter = await server.createToken(DEFAULT_PROJECT, ['public-api:read', 'media-library:delete'])
    // A feed-only subscription: the deletes are in GET /events.
    await server.deps.entryWebhooks.create({ project: DEFAULT_PROJECT, handle: 'feed', events: ['delete'] })
  })
  afterAll(async () => {
    await server?.close()
  })

  const importIds = async (ids: string[]) => {
    const res = await request(server, 'POST', '/api/2026-05/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: ids.map((id) => imageEntry({ id })) },
    })
    expect(res.status).toBe(200)
  }
  const patch = (id: string, patches: unknown[]) =>
    request(server, 'PATCH', `/api/2026-05/mediaLibrary/${id}`, { token: server.token, body: { patches } })
  const batchDelete = (ids: unknown, version = '2026-05', token = deleter) =>
    request(server, 'POST', `/api/${version}/mediaLibrary/delete`, { token, body: { ids } })

  it('answers per id in request order, with the single DELETE’s 404 and 409 rules', async () => {
    await importIds(['bd-ok', 'bd-used', 'bd-kept'])
    expect(
      (await patch('bd-used', [{ operation: 'addUsageLogEntry', value: { purpose: 'web' } }])).status,
    ).toBe(200)
    expect((await patch('bd-kept', [{ operation: 'storeInArchive' }])).status).toBe(200)

    const res = await batchDelete(['bd-ok', 'bd-used', 'bd-kept', 'bd-none', 'bd-ok'])
    expect(res.status).toBe(200)
    const results = (res.body as { results: Result[] }).results
    expect(results).toEqual([
      { ok: true, status: 204, id: 'bd-ok' },
      {
        ok: false,
        id: 'bd-used',
        correlation: 'id: bd-used',
        status: 409,
        error: 'ConflictError',
        error_details: {
          name: 'ConflictError',
          message: "The entry cannot be deleted: it has 1 usage log entry (id: 'bd-used')",
        },
      },
      {
        ok: false,
        id: 'bd-kept',
        correlation: 'id: bd-kept',
        status: 409,
        error: 'ConflictError',
        error_details: {
          name: 'ConflictError',
          message: "The entry cannot be deleted: it is stored in archive (protected; id: 'bd-kept')",
        },
      },
      {
        ok: false,
        id: 'bd-none',
        correlation: 'id: bd-none',
        status: 404,
        error: 'Not Found',
        error_details: { name: 'NotFound', message: "MediaLibrary Entry does not exist (id: 'bd-none')" },
      },
      {
        ok: false,
        id: 'bd-ok',
        correlation: 'id: bd-ok',
        status: 404,
        error: 'Not Found',
        error_details: { name: 'NotFound', message: "MediaLibrary Entry does not exist (id: 'bd-ok')" },
      },
    ])
    const read = (id: string) =>
      request(server, 'GET', `/api/2026-05/mediaLibrary/${id}`, { token: server.token })
    expect((await read('bd-ok')).status).toBe(404)
    expect((await read('bd-used')).status).toBe(200)
    expect((await read('bd-kept')).status).toBe(200)
    // In the trash, restorable; and its delete is one event in the feed.
    expect((await server.deps.trash.list(DEFAULT_PROJECT)).map((e) => e.id)).toContain('bd-ok')
    const feed = await request(server, 'GET', '/api/2026-05/events', { token: server.token })
    expect((feed.body as { results: { event: string; mediaId: string }[] }).results).toEqual([
      expect.objectContaining({ event: 'mediaLibraryEntry.delete', mediaId: 'bd-ok' }),
    ])
  })

  it('uses the version’s wrapper, needs media-library:delete, and refuses a bad body whole', async () => {
    await importIds(['bd-v1'])
    const v1 = await batchDelete(['bd-v1'], 'v1')
    expect(v1).toMatchObject({
      status: 200,
      body: { mediaLibraryEntries: [{ ok: true, status: 204, id: 'bd-v1' }] },
    })

    await importIds(['bd-writer'])
    const writer = await batchDelete(['bd-writer'], '2026-05', server.token)
    expect(writer.status).toBe(403)
    const tooMany = await batchDelete(['bd-writer', 'a', 'b', 'c', 'd', 'e'])
    expect(tooMany.status).toBe(400)
    expect((await batchDelete([])).status).toBe(400)
    expect((await batchDelete(['bd-writer', 'not valid!'])).status).toBe(400)
    expect((await batchDelete('bd-writer')).status).toBe(400)
    // Nothing of a refused request was deleted.
    expect(
      (await request(server, 'GET', '/api/2026-05/mediaLibrary/bd-writer', { token: server.token })).status,
    ).toBe(200)
  })
})
