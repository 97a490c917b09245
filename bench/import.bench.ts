/**
 * Import throughput against the database's own limit, measured in one run (see docs/performance.md).
 *
 *   npm run bench:import                      the table: ceiling and medialib, batches of 100 and 1,000,
 *                                             1 and 4 clients, SQLite (and PostgreSQL when
 *                                             MEDIALIB_TEST_POSTGRES_URL is set), median of 3 runs
 *   npm run bench:import -- --scale           1,000,000 entries in batches of 1,000 (see import-scale.ts)
 *
 * Options: --entries N (per measurement, default 30000), --runs N (default 3), --batches 100,1000,
 * --clients 1,4, --dialects sqlite,postgres, --profile DIR (serve runs under node --cpu-prof, one
 * measurement per configuration). Each medialib configuration runs twice: as is, and with one webhook
 * subscribed to `mediaLibraryEntry.create` (outbox written per batch, delivered by serve's worker to a
 * local receiver during the import); the table prints both and their ratio (target ≥ 0.8).
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { measureCeiling, measureKeysOnlyCeiling } from './import-ceiling.js'
import { forkLoad } from './import-run.js'
import { runScale } from './import-scale.js'
import { startCountingReceiver, subscribeCreate, WEBHOOK_ENV } from './import-webhook.js'
import {
  freshDatabase,
  median,
  PG_URL,
  startServe,
  backendCpu,
  backendCpuBetween,
  type BenchDatabase,
  type Dialect,
} from './import-server.js'
import { flag, listOption, option } from './options.js'

const PROFILE_DIR = flag('profile') ? path.resolve(option('profile', 'bench-profiles')) : undefined
const ENTRIES = Number(option('entries', '30000'))
const RUNS = PROFILE_DIR ? 1 : Number(option('runs', '3'))
const BATCHES = listOption('batches', '100,1000').map(Number)
const CLIENTS = listOption('clients', '1,4').map(Number)
const DIALECTS = listOption('dialects', PG_URL ? 'sqlite,postgres' : 'sqlite').filter(
  (d) => d === 'sqlite' || PG_URL,
) as Dialect[]
/** No single measurement may take longer than this. */
const RUN_TIMEOUT_MS = Number(option('timeout-s', '300')) * 1000

interface Row {
  dialect: Dialect
  batch: number
  clients: number
  keysOnly: number
  ceiling: number
  medialib: number
  /** The same with one webhook subscribed to create. */
  withWebhook: number
  peakRssMb: number
  /** Server CPU (user + system) per entry, in microseconds: contention on the machine barely moves it. */
  cpuUs: number
  /** PostgreSQL: its backends' CPU per entry, µs (on SQLite the database's work is in the server's CPU). */
  dbCpuUs: number
}

/** `measure` on a fresh database of its own, dropped afterwards. */
async function onFreshDatabase<T>(dialect: Dialect, measure: (db: BenchDatabase) => Promise<T>): Promise<T> {
  const db = await freshDatabase(dialect)
  try {
    return await measure(db)
  } finally {
    await db.drop()
  }
}

const ceilingOnce = (dialect: Dialect, batch: number) =>
  onFreshDatabase(dialect, (db) => measureCeiling(db, ENTRIES, batch))
const keysOnlyOnce = (dialect: Dialect, batch: number) =>
  onFreshDatabase(dialect, (db) => measureKeysOnlyCeiling(db, ENTRIES, batch))

let tagCounter = 0

async function medialibOnce(
  dialect: Dialect,
  batch: number,
  clients: number,
  webhook = false,
): Promise<{ rate: number; peakRss: number; cpuUs: number; dbCpuUs: number }> {
  const db = await freshDatabase(dialect)
  const receiver = webhook ? await startCountingReceiver() : undefined
  const nodeArgs = PROFILE_DIR
    ? [
        '--cpu-prof',
        '--cpu-prof-dir',
        PROFILE_DIR,
        '--cpu-prof-name',
        `serve-${dialect}-b${batch}-c${clients}${webhook ? '-webhook' : ''}.cpuprofile`,
      ]
    : []
  const server = await startServe(db, nodeArgs, webhook ? WEBHOOK_ENV : {})
  try {
    if (receiver) await subscribeCreate(db, receiver.url)
    const cpuBefore = server.cpuSeconds()
    const backendsBefore = dialect === 'postgres' ? await backendCpu(db) : new Map<number, number>()
    const done = await forkLoad(
      {
        baseUrl: server.baseUrl,
        token: server.token,
        tag: `run${process.pid}-${++tagCounter}`,
        start: 0,
        count: ENTRIES,
        batch,
        clients,
        pregenerate: true,
        sliceEvery: 0,
      },
      RUN_TIMEOUT_MS,
    )
    const cpuUs = ((server.cpuSeconds() - cpuBefore) * 1e6) / done.entries
    const dbCpuUs =
      dialect === 'postgres'
        ? (backendCpuBetween(backendsBefore, await backendCpu(db)) * 1e6) / done.entries
        : 0
    return { rate: done.entries / done.seconds, peakRss: server.peakRss(), cpuUs, dbCpuUs }
  } finally {
    await server.stop()
    await receiver?.close()
    await db.drop()
  }
}

const num = (n: number) => Math.round(n).toLocaleString('en').padStart(9)

/**
 * The table. "schema ÷ keys-only" is the schema ceiling's own ratio: the most that any server writing medialib's
 * schema could reach against the keys-only ceiling (the schema ceiling does no HTTP, parsing or validation).
 */
export function printTable(rows: Row[]): void {
  console.log(
    `\nImport throughput, entries/s, median of ${RUNS} run(s) of ${ENTRIES.toLocaleString('en')} entries each`,
  )
  console.log(
    '| dialect  | batch | clients | keys-only |   schema | medialib | ÷ keys-only | ÷ schema | schema ÷ keys-only | server peak RSS | server CPU/entry | postgres CPU/entry | webhook on create | ÷ without |',
  )
  console.log(
    '|----------|------:|--------:|----------:|---------:|---------:|------------:|---------:|-------------------:|----------------:|-----------------:|-------------------:|------------------:|----------:|',
  )
  for (const r of rows) {
    console.log(
      `| ${r.dialect.padEnd(8)} | ${String(r.batch).padStart(5)} | ${String(r.clients).padStart(7)} | ${num(r.keysOnly)} |${num(r.ceiling)} |${num(r.medialib)} | ${(r.medialib / r.keysOnly).toFixed(2).padStart(11)} | ${(r.medialib / r.ceiling).toFixed(2).padStart(8)} | ${(r.ceiling / r.keysOnly).toFixed(2).padStart(18)} | ${`${r.peakRssMb.toFixed(0)} MB`.padStart(15)} | ${`${r.cpuUs.toFixed(0)} µs`.padStart(16)} | ${(r.dialect === 'postgres' ? `${r.dbCpuUs.toFixed(0)} µs` : '-').padStart(18)} | ${num(r.withWebhook).padStart(17)} | ${(r.withWebhook / r.medialib).toFixed(2).padStart(9)} |`,
    )
  }
}

async function table(): Promise<void> {
  if (!PG_URL) console.log('(PostgreSQL skipped: set MEDIALIB_TEST_POSTGRES_URL to include it)')
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true })
  const rows: Row[] = []
  for (const dialect of DIALECTS) {
    const ceilings = new Map<number, number[]>()
    const keysOnly = new Map<number, number[]>()
    const medialib = new Map<string, { rate: number; peakRss: number; cpuUs: number; dbCpuUs: number }[]>()
    const withWebhook = new Map<string, number[]>()
    for (let run = 1; run <= RUNS; run++) {
      for (const batch of BATCHES) {
        const { rate, dbCpuUs } = await ceilingOnce(dialect, batch)
        ceilings.set(batch, [...(ceilings.get(batch) ?? []), rate])
        console.log(
          `${dialect} run ${run}: schema ceiling, batches of ${batch}: ${Math.round(rate)} entries/s, database CPU ${dbCpuUs.toFixed(0)} µs/entry`,
        )
        const keys = await keysOnlyOnce(dialect, batch)
        keysOnly.set(batch, [...(keysOnly.get(batch) ?? []), keys.rate])
        console.log(
          `${dialect} run ${run}: keys-only ceiling, batches of ${batch}: ${Math.round(keys.rate)} entries/s, database CPU ${keys.dbCpuUs.toFixed(0)} µs/entry (${keys.detail})`,
        )
      }
      for (const batch of BATCHES) {
        for (const clients of CLIENTS) {
          const result = await medialibOnce(dialect, batch, clients)
          const key = `${batch}/${clients}`
          medialib.set(key, [...(medialib.get(key) ?? []), result])
          console.log(
            `${dialect} run ${run}: medialib, batches of ${batch}, ${clients} client(s): ${Math.round(result.rate)} entries/s, peak RSS ${(result.peakRss / 2 ** 20).toFixed(0)} MB, server CPU ${result.cpuUs.toFixed(0)} µs/entry${dialect === 'postgres' ? `, postgres backends' CPU ${result.dbCpuUs.toFixed(0)} µs/entry` : ''}`,
          )
          const hooked = await medialibOnce(dialect, batch, clients, true)
          withWebhook.set(key, [...(withWebhook.get(key) ?? []), hooked.rate])
          console.log(
            `${dialect} run ${run}: medialib with a webhook on create, batches of ${batch}, ${clients} client(s): ${Math.round(hooked.rate)} entries/s (${(hooked.rate / result.rate).toFixed(2)}× without)`,
          )
        }
      }
    }
    for (const batch of BATCHES) {
      for (const clients of CLIENTS) {
        const results = medialib.get(`${batch}/${clients}`)!
        rows.push({
          dialect,
          batch,
          clients,
          keysOnly: median(keysOnly.get(batch)!),
          ceiling: median(ceilings.get(batch)!),
          medialib: median(results.map((r) => r.rate)),
          withWebhook: median(withWebhook.get(`${batch}/${clients}`)!),
          peakRssMb: median(results.map((r) => r.peakRss)) / 2 ** 20,
          cpuUs: median(results.map((r) => r.cpuUs)),
          dbCpuUs: median(results.map((r) => r.dbCpuUs)),
        })
      }
    }
  }
  printTable(rows)
}

if (flag('scale')) {
  for (const dialect of DIALECTS) await runScale(dialect, Number(option('scale-entries', '1000000')))
} else {
  await table()
}
