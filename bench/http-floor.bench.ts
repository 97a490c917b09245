/**
 * The import's HTTP floor (issue #20): how fast a bare HTTP server on this machine takes the import
 * benchmark's bodies at all, measured in the same run as the keys-only ceiling. It says how much of the
 * gap between medialib and the keys-only ceiling any Node.js server of this shape must leave.
 *
 *   npm run bench:http-floor -- [--batches 100,1000] [--clients 4] [--runs 3] [--entries 30000]
 *
 * Three figures per batch size, the median of `--runs`, each with the server's CPU per entry (SQLite):
 * - **keys-only**: the keys-only ceiling of bench:import (import-ceiling.ts), no HTTP at all;
 * - **echo**: a bare Fastify route (its default JSON parser, `JSON.stringify` for the answer) that answers
 *   each entry `{ ok: true, status: 200, id, record }`: no authentication, validation or database;
 * - **echo + insert**: the same route also writes the keys-only ceiling's rows (an id each, the JSON
 *   columns as text, the search text) into the keys-only table with a prepared statement, one transaction
 *   per request: the bare job over HTTP.
 * The load is bench:import's own generator (import-load.ts) in its own process; the servers run in this
 * one, started with the CLI's Node flags (package.json).
 */
import Fastify from 'fastify'
import type SQLite from 'better-sqlite3'
import { measureKeysOnlyCeiling, openRawSqlite, keysOnlyDdl, sqliteRowInsert } from './import-ceiling.js'
import { type BenchEntry, ceilingRow } from './import-entries.js'
import { freshDatabase } from './import-server.js'
import { forkLoad } from './import-run.js'
import { listOption, option } from './options.js'

const ENTRIES = Number(option('entries', '30000'))
const RUNS = Number(option('runs', '3'))
const BATCHES = listOption('batches', '100,1000').map(Number)
const CLIENTS = Number(option('clients', '4'))
const TIMEOUT_MS = 300_000

interface Figure {
  rate: number
  cpuUs: number
}

/** Starts a bare Fastify server on loopback whose import route answers with `answer`. */
async function bareServer(answer: (entries: BenchEntry[]) => unknown[]) {
  const app = Fastify({ bodyLimit: 64 * 1024 * 1024, logger: false })
  app.post('/api/v1/import/mediaLibrary', async (request) => {
    const body = request.body as { mediaLibraryEntries: BenchEntry[] }
    return { mediaLibraryEntries: answer(body.mediaLibraryEntries) }
  })
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, baseUrl }
}

let tagCounter = 0

/** Runs the benchmark's load against a server in this process: entries/s and this process's CPU per entry. */
async function loadAgainst(baseUrl: string, batch: number): Promise<Figure> {
  const cpu = process.cpuUsage()
  const done = await forkLoad(
    {
      baseUrl,
      token: 'unused',
      tag: `floor${process.pid}-${++tagCounter}`,
      start: 0,
      count: ENTRIES,
      batch,
      clients: CLIENTS,
      pregenerate: true,
      sliceEvery: 0,
    },
    TIMEOUT_MS,
  )
  // The load process builds its bodies before its clock starts; this process idles meanwhile, so its
  // CPU over the whole call is the server's work for the entries.
  const used = process.cpuUsage(cpu)
  return { rate: done.entries / done.seconds, cpuUs: (used.user + used.system) / done.entries }
}

async function keysOnly(batch: number): Promise<Figure> {
  const db = await freshDatabase('sqlite')
  try {
    const timed = await measureKeysOnlyCeiling(db, ENTRIES, batch)
    return { rate: timed.rate, cpuUs: timed.cpuUs }
  } finally {
    await db.drop()
  }
}

async function echo(batch: number): Promise<Figure> {
  const { app, baseUrl } = await bareServer((entries) =>
    entries.map((e, i) => ({ ok: true, status: 200, id: `e${i}`, record: { id: `e${i}`, ...e } })),
  )
  try {
    return await loadAgainst(baseUrl, batch)
  } finally {
    await app.close()
  }
}

async function echoInsert(batch: number): Promise<Figure> {
  const db = await freshDatabase('sqlite')
  let sqlite: SQLite.Database | undefined
  try {
    sqlite = openRawSqlite(db.sqliteFile)
    for (const statement of keysOnlyDdl('sqlite', 'keys_only')) sqlite.exec(statement)
    const insert = sqlite.prepare(sqliteRowInsert('keys_only'))
    const insertAll = sqlite.transaction((rows: unknown[][]) => {
      for (const row of rows) insert.run(row)
    })
    const { app, baseUrl } = await bareServer((entries) => {
      const timestamp = new Date().toISOString()
      const rows = entries.map((e) => ceilingRow(e, timestamp))
      insertAll(rows)
      return entries.map((e, i) => {
        const id = rows[i]![1] as string
        return {
          ok: true,
          status: 200,
          id,
          record: { id, version: 1, ...e, createdAt: timestamp, updatedAt: timestamp },
        }
      })
    })
    try {
      return await loadAgainst(baseUrl, batch)
    } finally {
      await app.close()
    }
  } finally {
    sqlite?.close()
    await db.drop()
  }
}

const median = (figures: Figure[]): Figure => {
  const sorted = [...figures].sort((a, b) => a.rate - b.rate)
  return sorted[Math.floor(sorted.length / 2)]!
}
const int = (n: number) => Math.round(n).toLocaleString('en-US')

const rows: string[] = []
for (const batch of BATCHES) {
  const runs = { keys: [] as Figure[], echo: [] as Figure[], insert: [] as Figure[] }
  for (let run = 1; run <= RUNS; run++) {
    // Interleaved, so that the machine's drift touches all three alike.
    const k = await keysOnly(batch)
    const e = await echo(batch)
    const i = await echoInsert(batch)
    runs.keys.push(k)
    runs.echo.push(e)
    runs.insert.push(i)
    console.log(
      `run ${run}, batches of ${batch}: keys-only ${int(k.rate)}/s (${k.cpuUs.toFixed(1)} µs), ` +
        `echo ${int(e.rate)}/s (${e.cpuUs.toFixed(1)} µs), echo + insert ${int(i.rate)}/s (${i.cpuUs.toFixed(1)} µs)`,
    )
  }
  const k = median(runs.keys)
  const e = median(runs.echo)
  const i = median(runs.insert)
  rows.push(
    `| ${batch} | ${CLIENTS} | ${int(k.rate)} | ${int(e.rate)} | ${int(i.rate)} | ${(e.rate / k.rate).toFixed(2)} | ` +
      `${(i.rate / k.rate).toFixed(2)} | ${k.cpuUs.toFixed(1)} µs | ${e.cpuUs.toFixed(1)} µs | ${i.cpuUs.toFixed(1)} µs |`,
  )
}

console.log(
  `\nThe import's HTTP floor, SQLite, entries/s, median of ${RUNS} run(s) of ${ENTRIES.toLocaleString('en-US')}`,
)
console.log(
  '| batch | clients | keys-only | echo | echo + insert | echo ÷ keys-only | echo + insert ÷ keys-only | keys-only CPU/entry | echo CPU/entry | echo + insert CPU/entry |',
)
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
for (const row of rows) console.log(row)
