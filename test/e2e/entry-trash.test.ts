import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { variantPrefix } from '../../src/media/thumbnail.service.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { startStorage, STORAGES, type TestStorage } from '../helpers/s3.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

type Rec = Record<string, unknown> & { id: string; version: number }
type ImportBody = { results: { ok: boolean; status: number; error?: unknown }[] }

function helpers(get: () => TestServer) {
  const importEntries = async (entries: Record<string, unknown>[]) => {
    const res = await request(get(), 'POST', '/api/2026-05/import/mediaLibrary', {
      token: get().token,
      body: { mediaLibraryEntries: entries },
    })
    expect(res.status).toBe(200)
    return (res.body as ImportBody).results
  }
  return {
    importEntries,
    importOne: async (overrides: Record<string, unknown> = {}) => {
      const entry = imageEntry(overrides)
      const [result] = await importEntries([entry])
      expect(result!.ok).toBe(true)
      return entry
    },
    patch: (id: string, patches: unknown[]) =>
      request(get(), 'PATCH', `/api/2026-05/mediaLibrary/${id}`, { token: get().token, body: { patches } }),
    read: (id: string) => request(get(), 'GET', `/api/2026-05/mediaLibrary/${id}`, { token: get().token }),
    remove: (id: string, token: string) =>
      request(get(), 'DELETE', `/api/2026-05/mediaLibrary/${id}`, { token }),
  }
}

describe.each(DIALECTS)('delete, trash and archive (%s)', (dialect) => {
  let server: TestServer
  let deleter: string
  const { importEntries, importOne, patch, read, remove } = helpers(() => server)
  beforeAll(async () => {
    server = await startTestServer(dialect)
    deleter = await server.createToken('default', ['public-api:read', 'media-library:delete'])
  })
  afterAll(async () => {
    await server.close()
  })

  it('unarchive, storeInArchive and removeFromArchive: state fields, protection and their 409s', async () => {
    const { id } = (await importOne()) as Rec
    expect((await patch(id, [{ operation: 'unarchive' }])).status).toBe(409)
    expect((await patch(id, [{ operation: 'archive' }])).status).toBe(200)
    expect((await read(id)).body).toMatchObject({ state: 'archived', archivedAt: expect.any(String) })
    expect((await patch(id, [{ operation: 'unarchive' }])).status).toBe(200)
    let rec = (await read(id)).body as Rec
    expect(rec.state).toBeUndefined()
    expect(rec.archivedAt).toBeUndefined()

    expect((await patch(id, [{ operation: 'storeInArchive' }])).status).toBe(200)
    rec = (await read(id)).body as Rec
    expect(rec.storedInArchiveAt).toEqual(expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/))
    const again = await patch(id, [{ operation: 'storeInArchive' }])
    expect(again).toMatchObject({ status: 409, body: { error: 'ConflictError' } })
    const protectedDelete = await remove(id, deleter)
    expect(protectedDelete.status).toBe(409)
    expect(protectedDelete.body).toEqual({
      status: 409,
      error: 'ConflictError',
      error_details: {
        name: 'ConflictError',
        message: `The entry cannot be deleted: it is stored in archive (protected; id: '${id}')`,
      },
    })
    expect((await read(id)).status).toBe(200)
    expect((await patch(id, [{ operation: 'removeFromArchive' }])).status).toBe(200)
    expect(((await read(id)).body as Rec).storedInArchiveAt).toBeUndefined()
    expect((await patch(id, [{ operation: 'removeFromArchive' }])).status).toBe(409)
  })

  it('DELETE needs media-library:delete, which write does not imply', async () => {
    const { id } = (await importOne()) as Rec
    const writer = await request(server, 'DELETE', `/api/2026-05/mediaLibrary/${id}`, { token: server.token })
    expect(writer.status).toBe(403)
    expect((await read(id)).status).toBe(200)
    const anonymous = await request(server, 'DELETE', `/api/2026-05/mediaLibrary/${id}`)
    expect(anonymous.status).toBe(401)
  })

  it('answers 409 naming the usage log, then 204 once it is empty', async () => {
    const { id } = (await importOne()) as Rec
    await patch(id, [{ operation: 'addUsageLogEntry', value: { purpose: 'web' } }])
    const used = await remove(id, deleter)
    expect(used.status).toBe(409)
    expect(used.body).toMatchObject({
      error: 'ConflictError',
      error_details: { message: `The entry cannot be deleted: it has 1 usage log entry (id: '${id}')` },
    })
    const log = await request(server, 'GET', `/api/2026-05/mediaLibrary/${id}/usageLog`, {
      token: server.token,
    })
    const [usage] = (log.body as { results: { id: string }[] }).results
    await patch(id, [{ operation: 'removeUsageLogEntry', usageLogEntryId: usage!.id }])
    expect((await remove(id, deleter)).status).toBe(204)
  })

  it('a trashed entry is hidden (404), keeps its id and externalId (re-import 409) and can be restored', async () => {
    const entry = await importOne()
    const id = entry.id as string
    const res = await remove(id, deleter)
    expect(res.status).toBe(204)
    expect(res.body).toBe('') // no body
    expect((await read(id)).status).toBe(404)
    expect((await remove(id, deleter)).status).toBe(404)
    expect((await remove('no-such-entry', deleter)).status).toBe(404)
    const byIds = await request(server, 'GET', `/api/2026-05/mediaLibrary?ids=${id}`, { token: server.token })
    expect(byIds.body).toEqual({ results: [] })
    const byExternal = await request(
      server,
      'GET',
      `/api/2026-05/mediaLibrary?systemName=${entry.systemName as string}&externalId=${entry.externalId as string}`,
      { token: server.token },
    )
    expect(byExternal.body).toEqual({ results: [] })
    const search = await request(
      server,
      'GET',
      '/api/2026-05/mediaLibrary?limit=1000&state=active,revoked,archived',
      {
        token: server.token,
      },
    )
    expect((search.body as { results: Rec[] }).results.map((r) => r.id)).not.toContain(id)
    const usageLog = await request(server, 'GET', `/api/2026-05/mediaLibrary/${id}/usageLog`, {
      token: server.token,
    })
    expect(usageLog.status).toBe(404)
    // Other patches do not reach a trashed entry.
    expect((await patch(id, [{ operation: 'archive' }])).status).toBe(404)

    // Re-importing the id, or the (systemName, externalId), is a conflict.
    const [sameId, sameExternal] = await importEntries([
      imageEntry({ id }),
      imageEntry({ externalId: entry.externalId, systemName: entry.systemName }),
    ])
    expect(sameId).toMatchObject({ ok: false, status: 409 })
    expect(sameExternal).toMatchObject({ ok: false, status: 409 })

    const restored = await patch(id, [{ operation: 'restore' }])
    expect(restored).toMatchObject({ status: 200, body: { status: 200 } })
    const back = await read(id)
    expect(back.status).toBe(200)
    expect(back.body).toMatchObject({ id, version: 3, metadata: entry.metadata })
    expect((await patch(id, [{ operation: 'restore' }])).status).toBe(409)
    // Searchable again by its text (the full-text index kept it).
    const title = (entry.metadata as { title: string }).title
    const found = await request(server, 'GET', `/api/2026-05/mediaLibrary?q=${encodeURIComponent(title)}`, {
      token: server.token,
    })
    expect((found.body as { results: Rec[] }).results.map((r) => r.id)).toContain(id)
  })
})

describe.each(DIALECTS.flatMap((d) => STORAGES.map((s) => [d, s] as const)))(
  'trash purge (%s, %s)',
  (dialect, storageName) => {
    let server: TestServer
    let storage: TestStorage
    let deleter: string
    const { importOne, importEntries, patch, read, remove } = helpers(() => server)
    beforeAll(async () => {
      storage = await startStorage(storageName)
      // trashDays 0: every trashed entry is due for the purge at once (and can no longer be restored).
      server = await startTestServer(dialect, { ...storage.config, trashDays: 0 })
      deleter = await server.createToken('default', ['media-library:delete'])
    })
    afterAll(async () => {
      await server.close()
      await storage.close()
    })

    const put = (key: string) =>
      server.deps.blobs.files('default').put(key, Readable.from([Buffer.from(`bytes of ${key}`)]))

    it('the worker purges expired trash with its original, former and derived files; shared keys stay', async () => {
      const entry = await importOne()
      const id = entry.id as string
      const key = (entry.asset as { key: string }).key
      const replacement = { ...(entry.asset as object), key: `${key}.v2.jpg` }
      await put(key)
      await put(replacement.key)
      expect((await patch(id, [{ operation: 'replaceAsset', value: replacement }])).status).toBe(200)
      const derived = server.deps.blobs.derived('default')
      const thumb = `${variantPrefix(replacement.key)}w200.jpg`
      await derived.put(thumb, Readable.from([Buffer.from('thumb')]))
      // Another live entry shows the old key as its asset: that file is not the trashed entry's alone.
      const sharing = await importOne({ asset: { ...(entry.asset as object) } })

      expect((await remove(id, deleter)).status).toBe(204)
      // Past trashDays, restore finds nothing.
      expect((await patch(id, [{ operation: 'restore' }])).status).toBe(404)

      const worker = server.deps.createWorker({ housekeepingMs: 0, pollMs: 20 })
      worker.start()
      await worker.idle()
      await worker.stop()

      const files = server.deps.blobs.files('default')
      expect(await files.stat(replacement.key)).toBeUndefined()
      expect(await derived.list(variantPrefix(replacement.key))).toEqual([])
      expect(await files.stat(key)).toBeDefined()
      expect((await read(sharing.id as string)).status).toBe(200)
      const rows = await server.deps.database.db
        .selectFrom('media_entries')
        .select('id')
        .where('id', '=', id)
        .execute()
      expect(rows).toEqual([])
      expect(await server.deps.trash.list('default')).toEqual([])
      // Purged for good: the id is free again.
      const [reimport] = await importEntries([imageEntry({ id })])
      expect(reimport).toMatchObject({ ok: true })
    })
  },
)
