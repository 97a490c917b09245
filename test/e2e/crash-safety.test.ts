import path from 'node:path'
import SQLite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, SQLITE_FILE_NAME } from '../../src/db/database.js'
import { DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { startServeCluster, type ServeCluster, type ServeProcess } from '../helpers/process.js'
import { rate, runsFrom, scaledTimeout } from '../helpers/long-runs.js'
import { request } from '../helpers/server.js'

/** CI runs a short loop; MEDIALIB_CRASH_LOOPS=20 locally for a longer one (npm run test:long). */
const LOOPS = runsFrom('MEDIALIB_CRASH_LOOPS', 3)
const CLIENTS = 4
const BATCH = 25

type Record_ = Record<string, unknown> & { id: string }

describe.each(DIALECTS)('crash safety: SIGKILL during continuous imports (%s)', (dialect) => {
  let cluster: ServeCluster
  let db: TestDatabase
  let dataDir: string
  let token: string
  const submitted = new Set<string>()
  const acked = new Map<string, Record_>()

  beforeAll(async () => {
    cluster = await startServeCluster(dialect, { processes: 0 })
    ;({ db, dataDir } = cluster)
  })
  afterAll(async () => {
    await cluster?.close()
  })

  async function importUntilKilled(serve: ServeProcess, loop: number): Promise<number> {
    let requests = 0
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let n = 0; ; n++) {
          const entries = Array.from({ length: BATCH }, (_, i) =>
            imageEntry({ id: `c${loop}-${client}-${n}-${i}`, externalId: `cx${loop}-${client}-${n}-${i}` }),
          )
          for (const e of entries) submitted.add(e.id as string)
          let res
          try {
            res = await request(serve, 'POST', '/api/v1/import/mediaLibrary', {
              token,
              body: { mediaLibraryEntries: entries },
            })
          } catch {
            return // the server is gone
          }
          requests += 1
          expect(res.status).toBe(200)
          for (const r of (res.body as { mediaLibraryEntries: { ok: boolean; record: Record_ }[] })
            .mediaLibraryEntries) {
            expect(r.ok).toBe(true)
            acked.set(r.record.id, r.record)
          }
        }
      }),
    )
    return requests
  }

  async function verify(serve: ServeProcess): Promise<void> {
    const ids = [...acked.keys()]
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500)
      const res = await request(serve, 'GET', `/api/v1/mediaLibrary?ids=${chunk.join(',')}`, { token })
      const found = (res.body as { mediaLibraryEntries: Record_[] }).mediaLibraryEntries
      expect(found.map((r) => r.id)).toEqual(chunk)
      for (const record of found) {
        if (dialect === 'sqlite') expect(JSON.stringify(record)).toBe(JSON.stringify(acked.get(record.id)))
        else expect(record).toEqual(acked.get(record.id))
      }
    }
    const database = openDatabase({ url: db.config.databaseUrl, dataDir })
    try {
      const rows = await database.db.selectFrom('media_entries').select('id').execute()
      const unknown = rows.map((r) => r.id).filter((id) => !submitted.has(id))
      expect(unknown).toEqual([])
      expect(rows.length).toBeGreaterThanOrEqual(acked.size)
    } finally {
      await database.close()
    }
  }

  it(
    `keeps every acknowledged entry over ${LOOPS} kills`,
    async () => {
      const startedAt = performance.now()
      let serve = await cluster.serve()
      token = serve.firstToken!
      expect(token).toBeDefined()
      let totalRequests = 0
      for (let loop = 0; loop < LOOPS; loop++) {
        const killAfter = 300 + Math.random() * 900
        const killer = new Promise<void>((resolve) =>
          setTimeout(() => {
            serve.child.kill('SIGKILL')
            resolve()
          }, killAfter),
        )
        totalRequests += await importUntilKilled(serve, loop)
        await killer
        await serve.stop('SIGKILL')
        if (dialect === 'sqlite') {
          const file = new SQLite(path.join(dataDir, SQLITE_FILE_NAME))
          try {
            expect(file.pragma('integrity_check', { simple: true })).toBe('ok')
            // The full-text index (filled per batch in the import's transaction) agrees with the table:
            // FTS5 throws SQLITE_CORRUPT_VTAB when a row or token differs.
            file
              .prepare(`INSERT INTO media_entries_fts(media_entries_fts, rank) VALUES ('integrity-check', 1)`)
              .run()
            const rows = file.prepare('SELECT count(*) AS n FROM media_entries').get() as { n: number }
            const indexed = file
              .prepare(`SELECT count(*) AS n FROM media_entries_fts WHERE media_entries_fts MATCH '"photo"*'`)
              .get() as { n: number }
            expect(indexed.n).toBe(rows.n)
          } finally {
            file.close()
          }
        }
        serve = await cluster.serve()
        await verify(serve)
      }
      await serve.stop('SIGTERM')
      console.log(
        `[${dialect}] ${LOOPS} SIGKILLs survived (${rate(LOOPS, startedAt)}); ${totalRequests} import requests, ${acked.size} acknowledged entries, all present and identical`,
      )
      expect(acked.size).toBeGreaterThan(0)
    },
    scaledTimeout(LOOPS, 40_000),
  )
})
