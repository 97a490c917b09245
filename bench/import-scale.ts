/**
 * The scale run: 1,000,000 entries through `POST /api/v1/import/mediaLibrary` in batches of 1,000 (one
 * client) to a real `medialib serve`. Prints throughput per 100k slice, its decay, the final database
 * size, the server's RSS, and p50/p99 of GET by id and by externalId after 10k and after all entries.
 * Then both raw-database ceilings (bench/import-ceiling.ts), the schema ceiling and the keys-only one,
 * over the same number of entries on a fresh database each, slice by slice, so that medialib's rate and
 * decay can be read against the database's own.
 */
import http from 'node:http'
import { performance } from 'node:perf_hooks'
import { measureCeiling, measureKeysOnlyCeiling } from './import-ceiling.js'
import { BENCH_SYSTEM } from './import-entries.js'
import { forkLoad } from './import-run.js'
import {
  freshDatabase,
  startServe,
  type BenchDatabase,
  type Dialect,
  type ServeProcess,
} from './import-server.js'

const BATCH = 1_000
const SLICE = 100_000
const FIRST = 10_000
const LOOKUPS = 500
/** The whole 1M import must finish within this time. */
const SCALE_TIMEOUT_MS = 30 * 60_000

function get(agent: http.Agent, url: URL, token: string): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve([res.statusCode ?? 0, Buffer.concat(chunks).toString()]))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

const decayOf = (rates: number[]) => `${((1 - rates[rates.length - 1]! / rates[0]!) * 100).toFixed(1)} %`

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!

/** GET by externalId of a random imported entry, then GET by the id that answer gave; ms each. */
async function lookups(server: ServeProcess, tag: string, imported: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const byExternal: number[] = []
  const byId: number[] = []
  for (let i = 0; i < LOOKUPS + 20; i++) {
    const n = Math.floor(Math.random() * imported)
    const q = new URL(
      `/api/v1/mediaLibrary?externalId=${tag}-${n}&systemName=${BENCH_SYSTEM}`,
      server.baseUrl,
    )
    let start = performance.now()
    const [s1, b1] = await get(agent, q, server.token)
    const t1 = performance.now() - start
    const found = (JSON.parse(b1) as { mediaLibraryEntries: { id: string; externalId: string }[] })
      .mediaLibraryEntries
    if (s1 !== 200 || found.length !== 1 || found[0]!.externalId !== `${tag}-${n}`) {
      throw new Error(`GET by externalId ${tag}-${n}: ${s1} ${b1.slice(0, 300)}`)
    }
    const id = found[0]!.id
    start = performance.now()
    const [s2, b2] = await get(agent, new URL(`/api/v1/mediaLibrary/${id}`, server.baseUrl), server.token)
    const t2 = performance.now() - start
    if (s2 !== 200 || (JSON.parse(b2) as { id: string }).id !== id) throw new Error(`GET ${id}: ${s2}`)
    if (i >= 20) {
      byExternal.push(t1)
      byId.push(t2)
    }
  }
  agent.destroy()
  byExternal.sort((a, b) => a - b)
  byId.sort((a, b) => a - b)
  const f = (ms: number) => `${ms.toFixed(2)} ms`
  return `GET by id p50 ${f(pct(byId, 0.5))} p99 ${f(pct(byId, 0.99))}; by externalId p50 ${f(pct(byExternal, 0.5))} p99 ${f(pct(byExternal, 0.99))} (${LOOKUPS} each)`
}

export async function runScale(dialect: Dialect, total: number): Promise<void> {
  const db = await freshDatabase(dialect)
  const server = await startServe(db)
  const tag = `scale${process.pid}`
  const slices: number[] = []
  let maxRss = 0
  const sampler = setInterval(() => {
    try {
      maxRss = Math.max(maxRss, server.rss())
    } catch {
      // the process is gone; the import will fail and say so
    }
  }, 500)
  try {
    console.log(
      `\n${dialect}: scale run, ${total.toLocaleString('en')} entries in batches of ${BATCH}, 1 client`,
    )
    const job = { baseUrl: server.baseUrl, token: server.token, tag, batch: BATCH, clients: 1 }
    const common = { ...job, pregenerate: false }
    const first = await forkLoad({ ...common, start: 0, count: FIRST, sliceEvery: 0 }, SCALE_TIMEOUT_MS)
    console.log(`first ${FIRST.toLocaleString('en')}: ${Math.round(first.entries / first.seconds)} entries/s`)
    console.log(`after ${FIRST.toLocaleString('en')}: ${await lookups(server, tag, FIRST)}`)

    // Slices count from entry 0: the first slice includes the 10k above (at their measured rate).
    let carried = { entries: first.entries, seconds: first.seconds }
    const started = performance.now()
    await forkLoad(
      { ...common, start: FIRST, count: total - FIRST, sliceEvery: BATCH },
      SCALE_TIMEOUT_MS,
      (s) => {
        carried = { entries: carried.entries + s.entries, seconds: carried.seconds + s.seconds }
        if (carried.entries >= SLICE) {
          const rate = carried.entries / carried.seconds
          slices.push(rate)
          const upTo = slices.length * SLICE
          console.log(
            `slice ${((upTo - SLICE) / 1000).toFixed(0)}k-${(upTo / 1000).toFixed(0)}k: ${Math.round(rate)} entries/s, server RSS ${(server.rss() / 2 ** 20).toFixed(0)} MB`,
          )
          carried = { entries: 0, seconds: 0 }
        }
      },
    )
    const seconds = (performance.now() - started) / 1000 + first.seconds
    console.log(
      `imported ${total.toLocaleString('en')} in ${seconds.toFixed(0)} s: ${Math.round(total / seconds)} entries/s overall`,
    )
    if (slices.length >= 2) console.log(`decay from the first slice to the last: ${decayOf(slices)}`)
    console.log(`after ${total.toLocaleString('en')}: ${await lookups(server, tag, total)}`)
    console.log(`database size: ${((await db.size()) / 2 ** 20).toFixed(0)} MB`)
    console.log(
      `server RSS: max sampled ${(maxRss / 2 ** 20).toFixed(0)} MB, peak (VmHWM) ${(server.peakRss() / 2 ** 20).toFixed(0)} MB`,
    )
  } finally {
    clearInterval(sampler)
    await server.stop()
    await db.drop()
  }
  await ceilingSlices(dialect, total, slices, 'schema ceiling', (db, count, start) =>
    measureCeiling(db, count, BATCH, start),
  )
  await ceilingSlices(dialect, total, slices, 'keys-only ceiling', (db, count, start) =>
    measureKeysOnlyCeiling(db, count, BATCH, start),
  )
}

/** A ceiling, slice by slice on one fresh database, next to medialib's slices of the same run. */
async function ceilingSlices(
  dialect: Dialect,
  total: number,
  medialib: number[],
  name: string,
  measure: (db: BenchDatabase, count: number, start: number) => Promise<{ rate: number }>,
): Promise<void> {
  const db = await freshDatabase(dialect)
  const rates: number[] = []
  try {
    for (let start = 0; start < total; start += SLICE) {
      const { rate } = await measure(db, Math.min(SLICE, total - start), start)
      rates.push(rate)
      const ratio = medialib[rates.length - 1] ? (medialib[rates.length - 1]! / rate).toFixed(2) : '-'
      console.log(
        `${name} slice ${(start / 1000).toFixed(0)}k-${((start + SLICE) / 1000).toFixed(0)}k: ${Math.round(rate)} entries/s, medialib ÷ ${name} ${ratio}`,
      )
    }
    const overall = total / rates.reduce((sum, rate) => sum + SLICE / rate, 0)
    const medialibOverall = total / medialib.reduce((sum, rate) => sum + SLICE / rate, 0)
    console.log(
      `${name} overall: ${Math.round(overall)} entries/s, medialib ÷ ${name} ${(medialibOverall / overall).toFixed(2)}`,
    )
    if (rates.length >= 2) {
      const decay = (r: number[]) => `${((1 - r[r.length - 1]! / r[0]!) * 100).toFixed(1)} %`
      console.log(
        `${name} decay from the first slice to the last: ${decay(rates)} (medialib: ${decay(medialib)})`,
      )
    }
  } finally {
    await db.drop()
  }
}
