import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

type FeedPage = {
  results: (Record<string, unknown> & { event: string; mediaId: string; actor: unknown })[]
}

const V = '/api/2026-05'

/**
 * Big import bodies are imported in a worker thread on a connection of its own (issue 13, finding 10). Its
 * batches write their entry events (issue 16) in their transaction as the main thread's do, naming the
 * request's token as the actor.
 */
describe.each(DIALECTS)('entry events of imports run in the import worker (%s)', (dialect) => {
  let server: TestServer
  let cms: string

  beforeAll(async () => {
    // importWorkerBytes 0: every import body goes through the worker thread.
    server = await startTestServer(dialect, { limits: { ...DEFAULT_CONFIG.limits, importWorkerBytes: 0 } })
    cms = (
      await server.deps.tokens.create({
        project: DEFAULT_PROJECT,
        scopes: ['public-api:read', 'public-api:write'],
        name: 'migration',
      })
    ).token
    await server.deps.entryWebhooks.create({ project: DEFAULT_PROJECT, handle: 'feed', events: ['create'] })
  })
  afterAll(async () => {
    await server?.close()
  })

  it('writes one create event per created entry, as the api client, and none for a refused one', async () => {
    const res = await request(server, 'POST', `${V}/import/mediaLibrary`, {
      token: cms,
      body: {
        mediaLibraryEntries: [
          imageEntry({ id: 'w-1' }),
          imageEntry({ id: 'w-2' }),
          { ...imageEntry({ id: 'w-bad' }), mediaType: 'no-such-type' },
        ],
      },
    })
    expect(res.status).toBe(200)
    // The worker streams its answer (chunked): proof that this body went through the worker thread.
    expect(res.headers.get('transfer-encoding')).toBe('chunked')
    const results = (res.body as { results: { ok: boolean }[] }).results
    expect(results.map((r) => r.ok)).toEqual([true, true, false])
    const feed = await request(server, 'GET', `${V}/events?limit=100`, { token: cms })
    expect(feed.status).toBe(200)
    const events = (feed.body as FeedPage).results
    expect(events.map((e) => [e.event, e.mediaId])).toEqual([
      ['mediaLibraryEntry.create', 'w-1'],
      ['mediaLibraryEntry.create', 'w-2'],
    ])
    for (const e of events) expect(e.actor).toEqual({ type: 'api-client', name: 'migration' })
  })

  it('refuses, in the worker thread too, a source key (@source/…) and a reserved id, each on its own entry', async () => {
    const res = await request(server, 'POST', `${V}/import/mediaLibrary`, {
      token: cms,
      body: {
        mediaLibraryEntries: [
          imageEntry({
            id: 'w-src',
            asset: { ...(imageEntry().asset as object), key: '@source/photos/a.png' },
          }),
          imageEntry({ id: 'sources' }),
          imageEntry({ id: 'w-ok' }),
        ],
      },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('transfer-encoding')).toBe('chunked')
    const results = (res.body as { results: Record<string, unknown>[] }).results
    expect(results.map((r) => r.ok)).toEqual([false, false, true])
    expect(JSON.stringify(results[0])).toContain("must not start with '@source/'")
    expect(JSON.stringify(results[1])).toContain("'sources' is reserved")
    const found = await server.deps.library.listByIds(DEFAULT_PROJECT, ['w-src', 'sources', 'w-ok'])
    expect(found.map((e) => e.id)).toEqual(['w-ok'])
  })
})
