import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/database.js'
import { DELIVERY_ID_HEADER } from '../../src/jobs/webhook.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { runCli, startServeProcess, type ServeProcess } from '../helpers/process.js'
import { startReceiver, until } from '../helpers/receiver.js'
import { request } from '../helpers/server.js'

const LOOPS = Number(process.env.MEDIALIB_CRASH_LOOPS ?? 2)
const CLIENTS = 4
const BATCH = 25

/**
 * SIGKILL a real `medialib serve` during batch imports while a webhook subscribes to `create`: after the
 * restarts, every entry that exists (every acknowledged one among them) had exactly one `create` delivered
 * (deduplicated by deliveryId), and no entry that does not exist had one.
 */
describe.each(DIALECTS)('entry events survive SIGKILL (%s)', (dialect) => {
  let db: TestDatabase
  let dataDir: string
  let args: string[]
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  const env = { MEDIALIB_FETCH_ALLOW_CIDRS: '127.0.0.1/32' }
  const acked = new Set<string>()

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    dataDir = mkdtempSync(path.join(tmpdir(), 'medialib-events-crash-'))
    args = ['--data-dir', dataDir, ...(db.config.databaseUrl ? ['--database', db.config.databaseUrl] : [])]
    receiver = await startReceiver((_post, res) => res.writeHead(204).end())
  })
  afterAll(async () => {
    await receiver?.close()
    await db?.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  async function importUntilKilled(serve: ServeProcess, token: string, loop: number) {
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let n = 0; ; n++) {
          const entries = Array.from({ length: BATCH }, (_, i) =>
            imageEntry({ id: `k${loop}-${client}-${n}-${i}` }),
          )
          let res
          try {
            res = await request(serve, 'POST', '/api/v1/import/mediaLibrary', {
              token,
              body: { mediaLibraryEntries: entries },
            })
          } catch {
            return // the server is gone
          }
          expect(res.status).toBe(200)
          for (const r of (res.body as { mediaLibraryEntries: { ok: boolean; id: string }[] })
            .mediaLibraryEntries) {
            expect(r.ok).toBe(true)
            acked.add(r.id)
          }
        }
      }),
    )
  }

  const storedIds = async () => {
    const database = openDatabase({ url: db.config.databaseUrl, dataDir })
    try {
      return (await database.db.selectFrom('media_entries').select('id').execute()).map((r) => r.id)
    } finally {
      await database.close()
    }
  }

  it(`delivers exactly one create per stored entry over ${LOOPS} kills`, async () => {
    let serve = await startServeProcess(args, env)
    const token = serve.firstToken!
    expect(token).toBeDefined()
    await serve.stop('SIGTERM')
    const created = await runCli(
      [
        'webhooks',
        'create',
        '--project',
        'default',
        '--handle',
        'crash',
        '--url',
        receiver.url,
        '--events',
        'create',
        ...args,
      ],
      env,
    )
    expect(created.stderr).toMatch(/^using (SQLite|PostgreSQL) at/)
    expect(created.code).toBe(0)
    expect(created.stdout).toMatch(/shown only this once:\n\n {2}\S{40,}\n$/)

    for (let loop = 0; loop < LOOPS; loop++) {
      serve = await startServeProcess(args, env)
      const killer = new Promise<void>((resolve) =>
        setTimeout(
          () => {
            serve.child.kill('SIGKILL')
            resolve()
          },
          400 + Math.random() * 800,
        ),
      )
      await importUntilKilled(serve, token, loop)
      await killer
      await serve.stop('SIGKILL')
    }

    // A last start delivers what the killed ones left.
    serve = await startServeProcess(args, env)
    const stored = await storedIds()
    const creates = () => {
      const byDelivery = new Map<string, string>()
      for (const post of receiver.posts) {
        const body = JSON.parse(post.body) as { event: string; mediaId: string; deliveryId: string }
        expect(post.headers[DELIVERY_ID_HEADER]).toBe(body.deliveryId)
        expect(body.event).toBe('mediaLibraryEntry.create')
        byDelivery.set(body.deliveryId, body.mediaId)
      }
      return [...byDelivery.values()]
    }
    await until('every create delivered', () => creates().length >= stored.length, 180_000).catch(
      (err: unknown) => {
        throw new Error(
          `${(err as Error).message}: ${creates().length} of ${stored.length}\n${serve.output()}`,
        )
      },
    )
    // Settled: nothing more arrives.
    await new Promise((r) => setTimeout(r, 1_500))
    await serve.stop('SIGTERM')

    const delivered = creates()
    expect(new Set(delivered).size).toBe(delivered.length) // one deliveryId per entry
    expect([...delivered].sort()).toEqual([...stored].sort()) // none for an entry that is not stored
    for (const id of acked) expect(stored).toContain(id)
    console.log(
      `[${dialect}] ${LOOPS} SIGKILLs: ${acked.size} acknowledged, ${stored.length} stored, ` +
        `${delivered.length} creates delivered in ${receiver.posts.length} POSTs`,
    )
    expect(acked.size).toBeGreaterThan(0)
  }, 240_000)
})
