/**
 * The load run's ceiling: the lookups the run's reads make (`readKeys` keys by id, or by systemName and
 * externalId, half each), sent straight to the same database with the fastest plain statements the driver
 * offers: no HTTP, no JSON, no medialib. The statements are medialib's own (the columns its repository
 * reads, `project = ? AND id IN (…)` / `system_name = ? AND external_id IN (…)`), so they use the same
 * indexes. SQLite: one better-sqlite3 connection on the same file in this process (medialib serves SQLite
 * from one connection too). PostgreSQL: `connections` clients with prepared statements.
 */
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { openRawSqlite } from './import-ceiling.js'
import { BENCH_PROJECT, BENCH_SYSTEM } from './import-entries.js'
import type { BenchDatabase } from './import-server.js'
import { distinctKeys, random, type Library } from './load-workload.js'

/** The columns medialib's lookups read (READ_COLUMNS in src/db/media-entry.repository.ts). */
const COLUMNS =
  'seq, id, version, media_type, system_name, external_id, asset, metadata, translations, created_at, ' +
  'updated_at, revoked_at, revoke_note, archived_at, former_keys'

export interface Ceiling {
  lookupsPerSecond: number
  lookups: number
}

/** Runs lookups of `readKeys` keys for `seconds` and checks every one finds all its keys. */
export async function measureReadCeiling(
  db: BenchDatabase,
  library: Library,
  readKeys: number,
  seconds: number,
  connections: number,
): Promise<Ceiling> {
  const rand = random(7)
  const keysOf = (pool: string[]) => distinctKeys(pool, readKeys, rand)
  /** The two statements, with `param(n)` as the n-th placeholder (`?` or `$n`). */
  const statements = (param: (n: number) => string) => {
    const list = (from: number) => Array.from({ length: readKeys }, (_, i) => param(from + i)).join(', ')
    return {
      byId: `SELECT ${COLUMNS} FROM media_entries WHERE project = ${param(1)} AND id IN (${list(2)})`,
      byExternal:
        `SELECT ${COLUMNS} FROM media_entries WHERE project = ${param(1)} AND system_name = ${param(2)} ` +
        `AND external_id IN (${list(3)})`,
    }
  }
  const check = (found: number) => {
    if (found !== readKeys) throw new Error(`ceiling lookup of ${readKeys} keys found ${found}`)
  }
  let lookups = 0
  const end = performance.now() + seconds * 1000
  const start = performance.now()
  if (db.dialect === 'sqlite') {
    const sqlite = openRawSqlite(db.sqliteFile, true)
    const sql = statements(() => '?')
    const byId = sqlite.prepare(sql.byId)
    const byExternal = sqlite.prepare(sql.byExternal)
    try {
      while (performance.now() < end) {
        for (let i = 0; i < 50; i++, lookups++) {
          const rows =
            lookups % 2 === 0
              ? byId.all(BENCH_PROJECT, ...keysOf(library.ids))
              : byExternal.all(BENCH_PROJECT, BENCH_SYSTEM, ...keysOf(library.externalIds))
          check(rows.length)
        }
      }
    } finally {
      sqlite.close()
    }
  } else {
    const sql = statements((n) => `$${n}`)
    const byId = { name: 'ceiling_by_id', text: sql.byId }
    const byExternal = { name: 'ceiling_by_external_id', text: sql.byExternal }
    const clients = await Promise.all(
      Array.from({ length: connections }, async () => {
        const client = new pg.Client({ connectionString: db.url })
        await client.connect()
        return client
      }),
    )
    try {
      await Promise.all(
        clients.map(async (client) => {
          while (performance.now() < end) {
            const even = lookups++ % 2 === 0
            const res = even
              ? await client.query({ ...byId, values: [BENCH_PROJECT, ...keysOf(library.ids)] })
              : await client.query({
                  ...byExternal,
                  values: [BENCH_PROJECT, BENCH_SYSTEM, ...keysOf(library.externalIds)],
                })
            check(res.rowCount ?? 0)
          }
        }),
      )
    } finally {
      await Promise.all(clients.map((c) => c.end()))
    }
  }
  return { lookups, lookupsPerSecond: lookups / ((performance.now() - start) / 1000) }
}
