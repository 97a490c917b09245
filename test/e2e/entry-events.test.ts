import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DELIVERY_ID_HEADER, SIGNATURE_HEADER, signBody } from '../../src/jobs/webhook.js'
import type { Worker } from '../../src/jobs/worker.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { urlImportConfig } from '../helpers/media-server.js'
import { startReceiver, until } from '../helpers/receiver.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

type Payload = Record<string, unknown> & { event: string; deliveryId: string; mediaId: string }
type FeedPage = {
  results: (Record<string, unknown> & { cursor: string; event: string; mediaId: string })[]
  cursor: string
}

const V = '/api/2026-05'

describe.each(DIALECTS)('entry events and webhooks (%s)', (dialect) => {
  let server: TestServer
  let worker: Worker
  let cms: string
  let deleter: string
  let secret: string
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  /** deliveryIds the receiver answers 500 the first time it sees them. */
  const failOnce = new Set<string>()
  const failedAlready = new Set<string>()

  beforeAll(async () => {
    receiver = await startReceiver((post, res) => {
      const id = String(post.headers[DELIVERY_ID_HEADER])
      const first = (JSON.parse(post.body) as Payload).mediaId === 'ev-1' && !failedAlready.has(id)
      if (first && failOnce.has('ev-1')) {
        failedAlready.add(id)
        res.writeHead(500).end()
      } else res.writeHead(204).end()
    })
    // A real socket: the feed test polls while imports run, and over inject (no socket) its loop would never
    // yield to the imports on SQLite, whose every query settles as a microtask.
    server = await startTestServer(dialect, urlImportConfig(), { listen: true })
    cms = (
      await server.deps.tokens.create({
        project: DEFAULT_PROJECT,
        scopes: ['public-api:read', 'public-api:write', 'media-library:delete'],
        name: 'cms',
      })
    ).token
    deleter = cms
    ;({ secret } = await server.deps.entryWebhooks.create({
      project: DEFAULT_PROJECT,
      handle: 'cdn',
      url: receiver.url,
      events: ['create', 'update', 'archive', 'revoke', 'active', 'delete'],
    }))
  })
  afterAll(async () => {
    await worker?.stop()
    await server?.close()
    await receiver?.close()
  })

  const importEntries = async (entries: Record<string, unknown>[]) => {
    const res = await request(server, 'POST', `${V}/import/mediaLibrary`, {
      token: cms,
      body: { mediaLibraryEntries: entries },
    })
    expect(res.status).toBe(200)
    return (res.body as { results: { ok: boolean }[] }).results
  }
  const patch = (id: string, patches: unknown[]) =>
    request(server, 'PATCH', `${V}/mediaLibrary/${id}`, { token: cms, body: { patches } })

  it('delivers each change as the reference payload, signed, in order per entry, retrying after a 500', async () => {
    failOnce.add('ev-1')
    expect(
      (await importEntries([imageEntry({ id: 'ev-1' }), imageEntry({ id: 'ev-2' })])).every((r) => r.ok),
    ).toBe(true)
    expect(
      (
        await patch('ev-1', [
          { operation: 'setMetadataProperty', propertyName: 'title', value: 'Changed' },
          { operation: 'archive' },
        ])
      ).status,
    ).toBe(200)
    expect((await patch('ev-1', [{ operation: 'unarchive' }])).status).toBe(200)
    expect((await request(server, 'DELETE', `${V}/mediaLibrary/ev-2`, { token: deleter })).status).toBe(204)

    worker = server.deps.createWorker()
    worker.start()
    const bodies = () => receiver.posts.map((p) => JSON.parse(p.body) as Payload)
    await until('six deliveries', () => new Set(bodies().map((b) => b.deliveryId)).size >= 6)
    await worker.idle()

    const delivered = bodies()
    // ev-1's create failed once (HTTP 500) and was sent again with the same deliveryId.
    const ev1Create = delivered.filter((b) => b.mediaId === 'ev-1' && b.event === 'mediaLibraryEntry.create')
    expect(ev1Create).toHaveLength(2)
    expect(ev1Create[0]!.deliveryId).toBe(ev1Create[1]!.deliveryId)

    // Deduplicated by deliveryId, in delivery order: exactly these, in the order of the changes.
    const unique = [...new Map(delivered.map((b) => [b.deliveryId, b])).values()]
    expect(unique.map((b) => `${b.mediaId} ${b.event}`)).toEqual([
      'ev-1 mediaLibraryEntry.create',
      'ev-2 mediaLibraryEntry.create',
      'ev-1 mediaLibraryEntry.update',
      'ev-1 mediaLibraryEntry.archive',
      'ev-1 mediaLibraryEntry.active',
      'ev-2 mediaLibraryEntry.delete',
    ])
    const update = unique[2]!
    expect(update).toEqual({
      event: 'mediaLibraryEntry.update',
      deliveryId: update.deliveryId,
      projectId: DEFAULT_PROJECT,
      projectHandle: DEFAULT_PROJECT,
      webhookHandle: 'cdn',
      mediaId: 'ev-1',
      actor: { type: 'api-client', name: 'cms' },
      changes: ['metadata.title'],
    })
    expect(Object.keys(unique[0]!).sort()).toEqual(
      ['actor', 'deliveryId', 'event', 'mediaId', 'projectHandle', 'projectId', 'webhookHandle'].sort(),
    )
    for (const post of receiver.posts) {
      expect(post.headers[SIGNATURE_HEADER]).toBe(signBody(secret, post.body))
      expect(post.headers[DELIVERY_ID_HEADER]).toBe((JSON.parse(post.body) as Payload).deliveryId)
    }
    // The 500 is in the webhook's delivery records as a delivery that took two attempts.
    const records = await server.deps.entryWebhooks.deliveries(DEFAULT_PROJECT, 'cdn', 10)
    expect(records.find((r) => r.deliveryId === ev1Create[0]!.deliveryId)).toMatchObject({
      state: 'delivered',
      attempts: 2,
    })
  })

  it('writes no event for a change that rolled back', async () => {
    // A trigger makes the outbox insert of one entry's event fail: the import's transaction rolls back.
    if (dialect === 'sqlite') {
      await sql`CREATE TRIGGER boom BEFORE INSERT ON entry_events WHEN NEW.media_id = 'boom'
        BEGIN SELECT RAISE(ABORT, 'boom'); END`.execute(server.deps.database.db)
    } else {
      await sql`CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.media_id = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$`.execute(
        server.deps.database.db,
      )
      await sql`CREATE TRIGGER boom BEFORE INSERT ON entry_events FOR EACH ROW EXECUTE FUNCTION boom()`.execute(
        server.deps.database.db,
      )
    }
    const before = receiver.posts.length
    const mediaTypes = await server.deps.projects.mediaTypesOf(DEFAULT_PROJECT)
    await expect(
      server.deps.importer.importEntries(DEFAULT_PROJECT, mediaTypes, [
        imageEntry({ id: 'rolled-back' }),
        imageEntry({ id: 'boom' }),
      ]),
    ).rejects.toThrow(/boom/)
    await sql`DROP TRIGGER boom ${sql.raw(dialect === 'sqlite' ? '' : 'ON entry_events')}`.execute(
      server.deps.database.db,
    )
    expect((await request(server, 'GET', `${V}/mediaLibrary/rolled-back`, { token: cms })).status).toBe(404)
    // A later change is delivered; the rolled-back one never is, nor is it in the feed.
    expect((await importEntries([imageEntry({ id: 'after-rollback' })]))[0]!.ok).toBe(true)
    worker.notify()
    await until('the later create', () =>
      receiver.posts.slice(before).some((p) => p.body.includes('after-rollback')),
    )
    await worker.idle()
    expect(receiver.posts.slice(before).some((p) => p.body.includes('rolled-back'))).toBe(false)
    const feed = await request(server, 'GET', `${V}/events?limit=1000`, { token: cms })
    expect(feed.status).toBe(200)
    const ids = (feed.body as FeedPage).results.map((e) => e.mediaId)
    expect(ids).toContain('after-rollback')
    expect(ids).not.toContain('rolled-back')
    expect(ids).not.toContain('boom')
  })

  it('the feed pages through events while imports run, skipping none and repeating none', async () => {
    const first = (await request(server, 'GET', `${V}/events?limit=1000`, { token: cms })).body as FeedPage
    let cursor = first.cursor
    const batches = Array.from({ length: 12 }, (_, b) =>
      Array.from({ length: 50 }, (_, i) => imageEntry({ id: `feed-${b}-${i}` })),
    )
    const seen: FeedPage['results'] = []
    let importing = true
    const imports = (async () => {
      // Three imports at a time: their transactions overlap.
      for (let b = 0; b < batches.length; b += 3)
        await Promise.all(batches.slice(b, b + 3).map(importEntries))
      importing = false
    })()
    const poll = async () => {
      const page = await request(server, 'GET', `${V}/events?after=${cursor}&limit=37`, { token: cms })
      expect(page.status).toBe(200)
      const body = page.body as FeedPage
      seen.push(...body.results)
      cursor = body.cursor
      return body.results.length
    }
    while (importing) await poll()
    await imports
    while ((await poll()) > 0);
    const created = seen.filter((e) => e.event === 'mediaLibraryEntry.create').map((e) => e.mediaId)
    expect(created.sort()).toEqual(
      batches
        .flat()
        .map((e) => e.id as string)
        .sort(),
    )
    const cursors = seen.map((e) => Number(e.cursor))
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b))
    expect(new Set(cursors).size).toBe(cursors.length)
    expect(seen[0]).toMatchObject({ actor: { type: 'api-client', name: 'cms' }, projectId: DEFAULT_PROJECT })
  })

  it('GET /events needs a token, refuses a bad cursor, and shows only the token’s project', async () => {
    expect((await request(server, 'GET', `${V}/events`)).status).toBe(401)
    expect((await request(server, 'GET', `${V}/events?after=abc`, { token: cms })).status).toBe(400)
    const other = await server.createToken('other', ['public-api:read'])
    const page = await request(server, 'GET', `${V}/events`, { token: other })
    expect(page).toMatchObject({ status: 200, body: { results: [], cursor: '0' } })
  })
})
