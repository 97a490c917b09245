import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import {
  makeImage,
  startMediaServer,
  urlImportConfig,
  waitForJob,
  type MediaServer,
} from '../helpers/media-server.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

/**
 * An item whose externalId no live entry had when its job was queued skips the per-item lookup of an existing
 * entry on its first attempt (a statement per item). Should a writer create that entry meanwhile, the item's
 * insert fails on the unique key, its retry looks, and the result is what a lookup would have given: one entry.
 */
describe.each(DIALECTS)('URL-import items known to be new (%s)', (dialect) => {
  let server: TestServer
  let media: MediaServer

  beforeAll(async () => {
    media = await startMediaServer()
    server = await startTestServer(dialect, urlImportConfig())
    const png = await makeImage('png', 40, 30)
    for (const name of ['a', 'b', 'c', 'd'])
      media.routes.set(`/img/${name}.png`, { body: png, type: 'image/png' })
    media.routes.set('/img/b2.png', { body: await makeImage('png', 41, 31, [9, 9, 9]), type: 'image/png' })
  })
  afterAll(async () => {
    await server?.close()
    await media?.close()
  })

  const queue = async (systemName: string, ids: [string, string][]) => {
    const res = await request(server, 'POST', '/api/v1/import/images', {
      token: server.token,
      body: { systemName, images: ids.map(([id, path]) => ({ id, url: media.url(path) })) },
    })
    expect(res.status).toBe(200)
    return (res.body as { id: string }).id
  }
  const runWorkerUntil = async (jobIds: string[]) => {
    const worker = server.deps.createWorker({
      logger: { info: () => undefined, error: (o, m) => console.error(m, o) },
    })
    worker.start()
    try {
      return await Promise.all(jobIds.map((id) => waitForJob(server, 'images', id)))
    } finally {
      await worker.stop()
    }
  }
  const entriesWith = async (systemName: string, externalId: string) => {
    const res = await request(
      server,
      'GET',
      `/api/v1/mediaLibrary?systemName=${systemName}&externalId=${externalId}`,
      { token: server.token },
    )
    expect(res.status).toBe(200)
    return (res.body as { mediaLibraryEntries: { id: string; asset: { key: string; width: number } }[] })
      .mediaLibraryEntries
  }

  it('flags the items no entry had at queue time, and only the others are looked up', async () => {
    const first = await queue('known', [['b', '/img/b.png']])
    await runWorkerUntil([first])
    const job = await queue('known', [
      ['a', '/img/a.png'],
      ['b', '/img/b2.png'],
    ])
    const items = await server.deps.importJobs.items(job)
    expect(items.map((i) => [i.externalId, i.absentAtQueue ?? false])).toEqual([
      ['a', true],
      ['b', false],
    ])
    const lookups = vi.spyOn(server.deps.library, 'listByExternalIds')
    try {
      const [status] = await runWorkerUntil([job])
      expect(status!.state).toBe('success')
      const looked = lookups.mock.calls.flatMap((call) => [...call[2]])
      expect(looked).toEqual(['b'])
    } finally {
      lookups.mockRestore()
    }
    // b was found and updated with the new image; a was created.
    const [b] = await entriesWith('known', 'b')
    expect(b!.asset.width).toBe(41)
    expect(await entriesWith('known', 'a')).toHaveLength(1)
  })

  it('an entry created after the queueing: the insert fails, the retry finds it; one entry', async () => {
    // Two jobs queued before either runs: both items are known to be new, and both have the same externalId.
    const one = await queue('race', [['c', '/img/c.png']])
    const two = await queue('race', [['c', '/img/c.png']])
    const statuses = await runWorkerUntil([one, two])
    const items = [...(await server.deps.importJobs.items(one)), ...(await server.deps.importJobs.items(two))]
    expect(items.every((i) => i.absentAtQueue === true)).toBe(true)
    const states = items.map((i) => [i.state, i.attempts, i.reason ?? null]).sort()
    // The one that lost the insert tried again, looked, and found the same bytes already stored.
    expect(states).toEqual([
      ['skipped', 2, 'already exists'],
      ['success', 1, null],
    ])
    expect(statuses.map((s) => s.state).sort()).toEqual(['success', 'success'])
    const entries = await entriesWith('race', 'c')
    expect(entries).toHaveLength(1)
    const results = items.map(
      (i) => (i.result as { image?: { mediaId?: string } } | undefined)?.image?.mediaId,
    )
    expect(results).toEqual([entries[0]!.id, entries[0]!.id])
  })
})
