/**
 * The load run (see docs/load.md): a mixed workload against a real `medialib serve` process for a bounded
 * time, per dialect — 70 % lookups by ids or externalIds, 20 % imports of 100 entries, 10 % searches
 * (bench/load-workload.ts) — after a preload and a warm-up. Prints throughput and p50/p99 latency per kind,
 * the errors (must be 0), the server's RSS after the warm-up and at the end, whether every entry the run
 * imported is readable, and the reads against the raw-database ceiling measured in the same run
 * (bench/load-ceiling.ts): both the mix's reads and a reads-only phase of medialib as long as the ceiling's.
 *
 *   npm run bench:load [-- --duration-s 60 --connections 8 --preload 20000 --read-keys 10
 *                          --warmup-s 5 --ceiling-s 5 --dialects sqlite,postgres]
 *
 * PostgreSQL runs only when MEDIALIB_BENCH_POSTGRES_URL or MEDIALIB_TEST_POSTGRES_URL is set.
 * Exits with 1 when any request failed or an imported entry is not readable.
 */
import pg from 'pg'
import { measureReadCeiling } from './load-ceiling.js'
import {
  cpuSecondsOf,
  freshDatabase,
  PG_URL,
  startServe,
  type BenchDatabase,
  type Dialect,
} from './import-server.js'
import {
  countReadable,
  formatMix,
  preload,
  quantile,
  runMix,
  totalErrors,
  totalRequests,
  type MixOptions,
  type MixResult,
} from './load-workload.js'
import { option } from './options.js'

const DURATION_S = Number(option('duration-s', '60'))
const CONNECTIONS = Number(option('connections', '8'))
const PRELOAD = Number(option('preload', '20000'))
const READ_KEYS = Number(option('read-keys', '10'))
const WARMUP_S = Number(option('warmup-s', '5'))
const CEILING_S = Number(option('ceiling-s', '5'))
const DIALECTS = option('dialects', PG_URL ? 'sqlite,postgres' : 'sqlite')
  .split(',')
  .filter((d) => d === 'sqlite' || (d === 'postgres' && PG_URL)) as Dialect[]

/**
 * PostgreSQL: statistics for the preloaded table, as autovacuum gathers within its first minute. Without
 * them the planner walks all the system's entries for a lookup by externalIds (see docs/load.md).
 */
async function analyze(db: BenchDatabase): Promise<void> {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    await client.query('ANALYZE media_entries')
  } finally {
    await client.end()
  }
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`

async function loadRun(dialect: Dialect): Promise<boolean> {
  const db = await freshDatabase(dialect)
  const server = await startServe(db)
  try {
    const target = { baseUrl: server.baseUrl, token: server.token }
    const tag = `load${process.pid}`
    let started = performance.now()
    const library = await preload(target, PRELOAD, CONNECTIONS, tag)
    console.log(
      `[${dialect}] preloaded ${PRELOAD.toLocaleString('en')} entries in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    )
    if (dialect === 'postgres') await analyze(db)
    const ceiling = await measureReadCeiling(db, library, READ_KEYS, CEILING_S, CONNECTIONS)
    /** A phase of the workload, and the CPU the server and this process (the load generator) used in it. */
    const phase = async (durationS: number, seed: number, mix?: MixOptions['mix']) => {
      const serverCpu = server.cpuSeconds()
      const selfCpu = cpuSecondsOf('self')
      const result = await runMix(target, library, {
        connections: CONNECTIONS,
        readKeys: READ_KEYS,
        durationMs: durationS * 1000,
        seed,
        ...(mix ? { mix } : {}),
      })
      const share = (seconds: number) => `${((seconds / result.seconds) * 100).toFixed(0)} %`
      const perRequest = ((server.cpuSeconds() - serverCpu) * 1000) / totalRequests(result)
      return {
        result,
        cpu: `server CPU ${share(server.cpuSeconds() - serverCpu)} of a core (${perRequest.toFixed(2)} ms per request), load generator ${share(cpuSecondsOf('self') - selfCpu)}`,
      }
    }
    const { result: readOnly, cpu: readOnlyCpu } = await phase(CEILING_S, 3, {
      read: 100,
      import: 0,
      search: 0,
    })
    const { result: warmup } = await phase(WARMUP_S, 1)
    const rssStart = server.rss()
    const hwmStart = server.peakRss()
    const { result: run, cpu } = await phase(DURATION_S, 2)
    const rssEnd = server.rss()
    const hwmEnd = server.peakRss()
    started = performance.now()
    const imported = [...warmup.importedIds, ...run.importedIds]
    const readable = await countReadable(target, imported, CONNECTIONS)
    const verifySeconds = (performance.now() - started) / 1000
    const errors = totalErrors(readOnly) + totalErrors(warmup) + totalErrors(run)
    const readRate = run.kinds.read.requests / run.seconds
    const readOnlyRate = readOnly.kinds.read.requests / readOnly.seconds
    const ratio = (rate: number) =>
      `${rate.toFixed(0)} ÷ ${ceiling.lookupsPerSecond.toFixed(0)} = ${(rate / ceiling.lookupsPerSecond).toFixed(3)}`
    print(dialect, run, [
      `server RSS after warm-up ${mb(rssStart)} (peak so far ${mb(hwmStart)}), at end ${mb(rssEnd)} (peak ${mb(hwmEnd)})`,
      cpu,
      `warm-up: ${warmup.seconds.toFixed(1)} s, ${totalErrors(warmup)} errors; library at end: ${library.ids.length.toLocaleString('en')} entries`,
      `entries imported ok during warm-up and run: ${imported.length.toLocaleString('en')}, readable afterwards: ${readable.toLocaleString('en')} (checked in ${verifySeconds.toFixed(1)} s)`,
      `ceiling: raw ${dialect === 'sqlite' ? 'better-sqlite3, 1 connection' : `pg, ${CONNECTIONS} connections`}, lookups of ${READ_KEYS} keys on the same database: ${ceiling.lookupsPerSecond.toFixed(0)} lookups/s`,
      `medialib, reads only for ${readOnly.seconds.toFixed(1)} s (same lookups, ${CONNECTIONS} connections): ${readOnlyRate.toFixed(0)} req/s, p50 ${quantile(readOnly.kinds.read.latenciesMs, 0.5).toFixed(2)} ms, p99 ${quantile(readOnly.kinds.read.latenciesMs, 0.99).toFixed(2)} ms, ${totalErrors(readOnly)} errors; ${readOnlyCpu}`,
      `ratio, medialib reads only ÷ ceiling: ${ratio(readOnlyRate)}`,
      `ratio, medialib reads under the mix ÷ ceiling: ${ratio(readRate)} (the reads are 70 % of the requests, beside imports and searches)`,
    ])
    return errors === 0 && readable === imported.length
  } finally {
    await server.stop()
    await db.drop()
  }
}

function print(dialect: Dialect, run: MixResult, extra: string[]): void {
  console.log(
    `\nLoad run, ${dialect}: ${DURATION_S} s, ${CONNECTIONS} connections, ${PRELOAD.toLocaleString('en')} entries preloaded, lookups of ${READ_KEYS} keys, imports of 100 entries`,
  )
  console.log(
    'errors: a transport failure or 30 s without answer, a non-2xx answer, an import result that is not ok, ' +
      'a lookup answering another number of entries than asked, a search answer that is not a page (or empty where entries match)',
  )
  for (const line of [...formatMix(run), ...extra]) console.log(line)
}

if (!PG_URL) console.log('(PostgreSQL skipped: set MEDIALIB_TEST_POSTGRES_URL to include it)')
let ok = true
for (const dialect of DIALECTS) ok = (await loadRun(dialect)) && ok
if (!ok) {
  console.log('\nFAILED: errors during the run, or imported entries not readable')
  process.exitCode = 1
}
