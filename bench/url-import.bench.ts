/**
 * URL-import throughput: imports N small PNGs from a local HTTP server through the real worker
 * (fetch → probe → disk blob store → entry) at worker concurrency 1, 4 and 16, and prints images/s.
 * Each run uses a fresh SQLite database (or, with MEDIALIB_BENCH_POSTGRES_URL, a fresh PostgreSQL database),
 * and is followed by the raw ceiling of the same images at the same concurrency (bench/url-import-ceiling.ts).
 *
 *   npm run bench:url-import                 # 2,000 images per run
 *   BENCH_IMAGES=500 npm run bench:url-import
 *   BENCH_POLL_MS=20 npm run bench:url-import    # the worker's poll interval (default: the server's, 500 ms)
 *   BENCH_ROUNDS=1 npm run bench:url-import      # rounds per concurrency (default 3), medialib and ceiling
 *                                            # interleaved after one warm-up round of each (500 images, not
 *                                            # counted); the medians are compared
 *   BENCH_LARGE=16 BENCH_LARGE_MB=100 npm run bench:url-import   # then 16 files of 100 MB at once through a
 *                                            # real serve process: its peak RSS (BENCH_LARGE=0 skips it)
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'
import { DEFAULT_CONFIG, type Config } from '../src/config.js'
import { createDeps } from '../src/deps.js'
import { DEFAULT_PROJECT } from '../src/projects/project.service.js'
import { freshDatabase } from './import-server.js'
import { measureUrlCeiling } from './url-import-ceiling.js'
import { measureLargeUrlImport } from './url-import-large.js'

const COUNT = Number(process.env.BENCH_IMAGES ?? 2000)
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,4,16').split(',').map(Number)
const POSTGRES = process.env.MEDIALIB_BENCH_POSTGRES_URL
/**
 * How often an idle worker looks for work: the server's default (500 ms). Until 2026-12-07 the benchmark ran at
 * 20 ms, which added a look for due webhooks every 20 ms to the job's own statements (no faster for it).
 */
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? DEFAULT_CONFIG.jobs.pollMs)
/** No run may take longer than this. */
const RUN_LIMIT_MS = 300_000
/** Rounds per concurrency, each medialib then the ceiling: the medians are compared (single short runs vary by ±30 %). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
/** Images of the warm-up round before each concurrency's rounds (both sides). */
const WARMUP = Math.min(COUNT, 500)
const LARGE = Number(process.env.BENCH_LARGE ?? 16)
const LARGE_MB = Number(process.env.BENCH_LARGE_MB ?? 100)

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((x, y) => x - y)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** One medialib run: a job of `count` images through the real worker on a fresh database; images/s and CPU per image. */
async function measureMedialib(concurrency: number, base: string, count: number) {
  const db = await freshDatabase(POSTGRES ? 'postgres' : 'sqlite', POSTGRES)
  const config: Config = {
    ...DEFAULT_CONFIG,
    dataDir: db.dataDir,
    logLevel: 'silent',
    ...(db.url ? { databaseUrl: db.url } : {}),
    fetch: {
      ...DEFAULT_CONFIG.fetch,
      allowCidrs: ['127.0.0.1/32'],
      maxConcurrentDownloads: Math.max(16, concurrency),
    },
    jobs: { ...DEFAULT_CONFIG.jobs, workerConcurrency: concurrency, pollMs: POLL_MS },
  }
  const deps = await createDeps(config, { warn: () => undefined })
  let seconds = 0
  let cpuMs = 0
  try {
    await deps.projects.ensure(DEFAULT_PROJECT)
    const started = performance.now()
    const cpuBefore = process.cpuUsage()
    const jobId = await deps.urlImports.queue(DEFAULT_PROJECT, 'images', {
      systemName: 'bench',
      items: Array.from({ length: count }, (_, i) => ({
        id: `img-${i}`,
        url: `${base}/img/${i}.png`,
        fileName: `Image ${i}`,
      })),
    })
    const worker = deps.createWorker()
    worker.start()
    // The worker says when nothing is left to do (no status polls of our own beside its statements); an item
    // waiting for a retry would leave the job open, hence the check after.
    await worker.idle()
    for (;;) {
      const job = await deps.importJobs.getById(jobId)
      if (job?.state !== 'started') break
      if (performance.now() - started > RUN_LIMIT_MS)
        throw new Error(`concurrency ${concurrency}: over the time limit`)
      await new Promise((r) => setTimeout(r, 25))
    }
    const elapsed = (performance.now() - started) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    cpuMs = (cpu.user + cpu.system) / 1000
    await worker.stop()
    const items = await deps.importJobs.items(jobId)
    const ok = items.filter((i) => i.state === 'success').length
    if (ok !== count) throw new Error(`concurrency ${concurrency}: only ${ok} of ${count} succeeded`)
    seconds = elapsed
  } finally {
    await deps.close()
    await db.drop()
  }
  return { rate: count / seconds, cpuUs: (cpuMs * 1000) / count }
}

/** One run of the raw ceiling (bench/url-import-ceiling.ts) at the same concurrency, on a fresh database. */
async function measureCeiling(concurrency: number, base: string, count: number) {
  const ceilingDb = await freshDatabase(POSTGRES ? 'postgres' : 'sqlite', POSTGRES)
  const before = process.cpuUsage()
  let rate: number
  try {
    rate = await measureUrlCeiling(
      ceilingDb,
      Array.from({ length: count }, (_, i) => `${base}/img/${i}.png`),
      concurrency,
    )
  } finally {
    await ceilingDb.drop()
  }
  const cpu = process.cpuUsage(before)
  return { rate, cpuUs: (cpu.user + cpu.system) / count }
}

async function main() {
  process.stdout.write(`generating ${COUNT} distinct PNGs…\n`)
  const images: Buffer[] = []
  for (let i = 0; i < COUNT; i++) {
    images.push(
      await sharp({
        create: { width: 32, height: 24, channels: 3, background: { r: i % 256, g: (i >> 8) % 256, b: 77 } },
      })
        .png()
        .toBuffer(),
    )
  }
  const server = createServer((req, res) => {
    const i = Number(/^\/img\/(\d+)\.png$/.exec(req.url ?? '')?.[1] ?? -1)
    const body = images[i]
    if (!body) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length }).end(body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  process.stdout.write(
    `database: ${POSTGRES ? 'postgres' : 'sqlite'}; ${COUNT} images (${images[0]!.length} bytes each)\n`,
  )

  const rows: string[] = []
  for (const concurrency of CONCURRENCIES) {
    const rounds: { rate: number; ceiling: number; cpuUs: number; ceilingCpuUs: number }[] = []
    // One round of each first, not counted: a first run in a process runs cold (JIT, connection pools). The
    // ceiling alone at concurrency 16 on PostgreSQL measured 440–660 images/s cold against about 1,000 warm.
    await measureMedialib(concurrency, base, WARMUP)
    await measureCeiling(concurrency, base, WARMUP)
    for (let round = 1; round <= ROUNDS; round++) {
      const { rate, cpuUs } = await measureMedialib(concurrency, base, images.length)
      const { rate: ceiling, cpuUs: ceilingCpuUs } = await measureCeiling(concurrency, base, images.length)
      rounds.push({ rate, ceiling, cpuUs, ceilingCpuUs })
      process.stdout.write(
        `concurrency ${String(concurrency).padStart(2)}, round ${round} of ${ROUNDS}: medialib ${rate.toFixed(0)} images/s, raw ceiling ${ceiling.toFixed(0)} images/s (${(rate / ceiling).toFixed(2)}); CPU per image (this process: worker, database, image server) ${cpuUs.toFixed(0)} µs vs ceiling ${ceilingCpuUs.toFixed(0)} µs\n`,
      )
    }
    const rate = median(rounds.map((r) => r.rate))
    const ceiling = median(rounds.map((r) => r.ceiling))
    const line = `concurrency ${String(concurrency).padStart(2)}: ${COUNT} images, median of ${ROUNDS} interleaved round(s): ${rate.toFixed(0)} images/s; raw ceiling ${ceiling.toFixed(0)} images/s; medialib ÷ ceiling ${(rate / ceiling).toFixed(2)} (rounds: ${rounds.map((r) => (r.rate / r.ceiling).toFixed(2)).join(' ')}); CPU per image (this process: worker, database, image server) ${median(rounds.map((r) => r.cpuUs)).toFixed(0)} µs vs ceiling ${median(rounds.map((r) => r.ceilingCpuUs)).toFixed(0)} µs`
    rows.push(line)
    process.stdout.write(`${line}\n`)
  }
  server.close()
  if (LARGE > 0) {
    const line = await measureLargeUrlImport(POSTGRES ? 'postgres' : 'sqlite', POSTGRES, LARGE, LARGE_MB)
    rows.push(line)
    process.stdout.write(`${line}\n`)
  }
  process.stdout.write(
    `\nURL import (${POSTGRES ? 'PostgreSQL' : 'SQLite'}, disk blobs):\n${rows.join('\n')}\n`,
  )
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
