/**
 * Image variants (issue #17), against a real `medialib serve` process on SQLite with disk storage:
 *
 * 1. Generation: cold variants per second (w=640 and w=320, WebP) of 3-megapixel JPEGs, 2 clients at once,
 *    against the ceiling of sharp doing the same resizes in-process, 2 at once (ratio ≥ 0.7 is the goal).
 * 2. Cache hits: p50/p99 latency of one cached variant over HTTP, 4 clients, against @fastify/static serving
 *    the same bytes from a file in a process of its own (ratio ≤ 1.5 is the goal).
 * 3. Memory: the server's peak RSS while 8 clients ask for cold variants of 24-megapixel JPEGs (goal < 300 MB).
 *
 *   npm run bench:variants [-- --sources 32 --clients 2 --hits 2000 --big 8 --cpu-prof DIR --cpu-time user]
 *
 * Over 300 lines: its three measurements share one server and its helpers (CPU per thread, the static-file ceiling).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { freshDatabase, startServe, type ServeProcess } from './import-server.js'
import { option } from './options.js'

const SOURCES = Number(option('sources', '32'))
const HITS = Number(option('hits', '2000'))
const BIG = Number(option('big', '8'))
/** Concurrent clients of the generation measure; the ceiling runs as many sharp pipelines at once. */
const CLIENTS = Number(option('clients', '2'))
/** `--cpu-prof DIR`: the server writes a V8 CPU profile there when it stops (where its time goes). */
const PROFILE_DIR = option('cpu-prof', '')
/** `--cpu-time user|system`: the CPU figures count only that part (default: both). */
const CPU_TIME = option('cpu-time', 'all')

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!
}

/**
 * CPU seconds (user + system) of a process by thread kind, from /proc/<pid>/task/<tid>/stat: `main` (the
 * event loop), then by thread name (`libuv-worker`, the libvips threads, V8's helpers…), so that a ratio can
 * be read as where each side spends its time.
 */
function cpuByThread(pid: number | 'self'): Map<string, number> {
  const byKind = new Map<string, number>()
  const self = pid === 'self' ? String(process.pid) : String(pid)
  for (const tid of readdirSync(`/proc/${self}/task`)) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${self}/task/${tid}/stat`, 'utf8')
    } catch {
      continue // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const kind = tid === self ? 'main' : name.replace(/[\d-]+$/, '') || 'other'
    const user = Number(fields[11])
    const system = Number(fields[12])
    const ticks = CPU_TIME === 'user' ? user : CPU_TIME === 'system' ? system : user + system
    byKind.set(kind, (byKind.get(kind) ?? 0) + ticks / 100)
  }
  return byKind
}

/** CPU milliseconds per operation by thread kind between two `cpuByThread` snapshots (kinds under 0.05 ms left out). */
function cpuPer(before: Map<string, number>, after: Map<string, number>, operations: number): string {
  const parts = [...after]
    .map(([kind, seconds]) => [kind, ((seconds - (before.get(kind) ?? 0)) * 1000) / operations] as const)
    .filter(([, ms]) => ms >= 0.05)
    .sort((a, b) => b[1] - a[1])
  const total = parts.reduce((sum, [, ms]) => sum + ms, 0)
  return `${total.toFixed(2)} ms (${parts.map(([kind, ms]) => `${kind} ${ms.toFixed(2)}`).join(', ')})`
}

/** CPU by thread kind of one process, summed over several intervals (`start`…`stop`), per operation. */
function cpuMeter(pid: number | 'self') {
  const before = new Map<string, number>()
  const after = new Map<string, number>()
  const add = (into: Map<string, number>) => {
    for (const [kind, seconds] of cpuByThread(pid)) into.set(kind, (into.get(kind) ?? 0) + seconds)
  }
  return { start: () => add(before), stop: () => add(after), per: (n: number) => cpuPer(before, after, n) }
}

/** A photo-like JPEG: gradients plus noise, so it neither compresses nor decodes like a flat colour. */
async function photo(width: number, height: number, seed: number): Promise<Buffer> {
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 120 + seed, sigma: 40 },
    },
  })
    .blur(1.2)
    .raw()
    .toBuffer()
  return sharp(noise, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer()
}

/** Writes originals where the server's disk store keeps project `default`'s keys, and imports entries. */
async function addSources(
  server: ServeProcess,
  dataDir: string,
  prefix: string,
  images: Buffer[],
  width: number,
  height: number,
): Promise<string[]> {
  const keys = images.map((_, i) => `bench/${prefix}-${i}.jpg`)
  const dir = path.join(dataDir, 'projects', 'default', 'files', 'bench')
  mkdirSync(dir, { recursive: true })
  images.forEach((body, i) => writeFileSync(path.join(dir, `${prefix}-${i}.jpg`), body))
  const entries = keys.map((key, i) => ({
    id: `${prefix}-${i}`,
    mediaType: 'image',
    asset: {
      key,
      url: `https://bench.example.test/${key}`,
      size: images[i]!.length,
      width,
      height,
      filename: `${prefix}-${i}.jpg`,
      mimeType: 'image/jpeg',
    },
    metadata: {},
  }))
  const res = await fetch(`${server.baseUrl}/api/v1/import/mediaLibrary`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ mediaLibraryEntries: entries }),
  })
  if (res.status !== 200) throw new Error(`import failed: ${res.status} ${await res.text()}`)
  return keys
}

/** Runs the jobs with `concurrency` at once; the wall time in seconds. */
async function runAll(jobs: (() => Promise<void>)[], concurrency: number): Promise<number> {
  const start = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) await jobs[next++]!()
    }),
  )
  return (performance.now() - start) / 1000
}

async function timedGets(
  url: string,
  headers: Record<string, string>,
  count: number,
  clients: number,
  times: number[] = [],
) {
  await runAll(
    Array.from({ length: count }, () => async () => {
      const t = performance.now()
      const res = await fetch(url, { headers })
      await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`)
      times.push(performance.now() - t)
    }),
    clients,
  )
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99) }
}

/** @fastify/static in a process of its own, serving `dir` (the ceiling of a cache hit). */
async function startStatic(dir: string): Promise<{ baseUrl: string; pid: number; stop(): void }> {
  const script = `
    import Fastify from 'fastify'
    import fastifyStatic from '@fastify/static'
    const app = Fastify()
    await app.register(fastifyStatic, { root: ${JSON.stringify(dir)} })
    const address = await app.listen({ host: '127.0.0.1', port: 0 })
    console.log('listening ' + address)
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: process.cwd(),
  })
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening (http:\/\/\S+)/.exec(d.toString())
      if (m?.[1]) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`static server exited with ${code}`)))
  })
  return { baseUrl, pid: child.pid!, stop: () => child.kill('SIGINT') }
}

async function main() {
  console.log(`variants bench: ${cpus().length} CPUs, load average ${load()}`)
  const db = await freshDatabase('sqlite')
  const server = await startServe(
    db,
    PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(PROFILE_DIR)] : [],
  )
  const auth = { authorization: `Bearer ${server.token}` }
  try {
    // 1. Generation.
    const small = await Promise.all(Array.from({ length: SOURCES }, (_, i) => photo(2048, 1536, i)))
    const keys = await addSources(server, db.dataDir, 'photo', small, 2048, 1536)
    const widths = [640, 320]
    // Warm-up: sharp and libvips load on the first variant (both sides), not part of the rate.
    await (
      await fetch(`${server.baseUrl}/api/v1/mediaLibrary/serve-image/${keys[0]}?w=160`, { headers: auth })
    ).arrayBuffer()
    await sharp(small[0]).resize({ width: 160 }).jpeg().toBuffer()
    const jobs = keys.flatMap((key) =>
      widths.map((w) => async () => {
        const res = await fetch(`${server.baseUrl}/api/v1/mediaLibrary/serve-image/${key}?w=${w}&fm=webp`, {
          headers: auth,
        })
        await res.arrayBuffer()
        if (res.status !== 200) throw new Error(`variant ${key} w=${w}: ${res.status}`)
      }),
    )
    const pid = server.child.pid!
    sharp.cache(false)
    const ceilingJobs = small.flatMap((body) =>
      widths.map((w) => async () => {
        await sharp(body)
          .rotate()
          .resize({ width: w, fit: 'inside' })
          .webp({ quality: 80, effort: 2 })
          .toBuffer()
      }),
    )
    // Four rounds, the two sides taking turns (a quarter of the variants each), so both see the same load.
    const serverCpu = cpuMeter(pid)
    const ceilingCpu = cpuMeter('self')
    let servedSeconds = 0
    let ceilingSeconds = 0
    for (let round = 0; round < 4; round++) {
      const quarter = <T>(list: T[]) => list.filter((_, i) => i % 4 === round)
      serverCpu.start()
      servedSeconds += await runAll(quarter(jobs), CLIENTS)
      serverCpu.stop()
      ceilingCpu.start()
      ceilingSeconds += await runAll(quarter(ceilingJobs), CLIENTS)
      ceilingCpu.stop()
    }
    const served = jobs.length / servedSeconds
    const ceiling = ceilingJobs.length / ceilingSeconds
    console.log(
      `generation: ${served.toFixed(1)} variants/s; sharp in-process ${ceiling.toFixed(1)}/s; ` +
        `ratio ${(served / ceiling).toFixed(2)} (goal ≥ 0.7); load average ${load()}`,
    )
    console.log(
      `  CPU per variant: server ${serverCpu.per(jobs.length)}; sharp in-process ${ceilingCpu.per(ceilingJobs.length)}`,
    )

    // 2. Cache hits.
    const hitUrl = `${server.baseUrl}/api/v1/mediaLibrary/serve-image/${keys[0]}?w=640&fm=webp`
    const bytes = Buffer.from(await (await fetch(hitUrl, { headers: auth })).arrayBuffer())
    const staticDir = path.join(db.dataDir, 'static')
    mkdirSync(staticDir, { recursive: true })
    writeFileSync(path.join(staticDir, 'variant.webp'), bytes)
    const statics = await startStatic(staticDir)
    try {
      // Warm-up, both sides (JIT, caches, sockets): the ratio compares steady states.
      await timedGets(hitUrl, auth, 1000, 4)
      await timedGets(`${statics.baseUrl}/variant.webp`, {}, 1000, 4)
      // Ten rounds, the two sides taking turns, so that both see the same load from other work.
      const hitTimes: number[] = []
      const bareTimes: number[] = []
      const hitCpu = cpuMeter(pid)
      const bareCpu = cpuMeter(statics.pid)
      for (let round = 0; round < 10; round++) {
        hitCpu.start()
        await timedGets(hitUrl, auth, HITS / 10, 4, hitTimes)
        hitCpu.stop()
        bareCpu.start()
        await timedGets(`${statics.baseUrl}/variant.webp`, {}, HITS / 10, 4, bareTimes)
        bareCpu.stop()
      }
      const percentiles = (times: number[]) => ({ p50: quantile(times, 0.5), p99: quantile(times, 0.99) })
      const hit = percentiles(hitTimes)
      const bare = percentiles(bareTimes)
      console.log(
        `cache hit (${bytes.length} bytes, ${HITS} requests, 4 clients): p50 ${hit.p50.toFixed(2)} ms, ` +
          `p99 ${hit.p99.toFixed(2)} ms; @fastify/static p50 ${bare.p50.toFixed(2)} ms, p99 ${bare.p99.toFixed(2)} ms; ` +
          `ratio p50 ${(hit.p50 / bare.p50).toFixed(2)}, p99 ${(hit.p99 / bare.p99).toFixed(2)} (goal ≤ 1.5); load average ${load()}`,
      )
      console.log(`  CPU per hit: server ${hitCpu.per(HITS)}; @fastify/static ${bareCpu.per(HITS)}`)
    } finally {
      statics.stop()
    }

    // 3. Memory under 8 clients of cold 24-megapixel variants.
    const big = await Promise.all(Array.from({ length: BIG }, (_, i) => photo(6000, 4000, i)))
    const bigKeys = await addSources(server, db.dataDir, 'big', big, 6000, 4000)
    big.length = 0
    const before = server.rss()
    const bigJobs = bigKeys.flatMap((key) =>
      [1280, 640].map((w) => async () => {
        const res = await fetch(`${server.baseUrl}/api/v1/mediaLibrary/serve-image/${key}?w=${w}&fm=jpg`, {
          headers: auth,
        })
        await res.arrayBuffer()
        if (res.status !== 200) throw new Error(`big variant ${key}: ${res.status}`)
      }),
    )
    let peak = 0
    const sampler = setInterval(() => (peak = Math.max(peak, server.rss())), 50)
    const seconds = await runAll(bigJobs, 8)
    clearInterval(sampler)
    console.log(
      `24 MP: ${bigJobs.length} cold variants by 8 clients in ${seconds.toFixed(1)} s; server RSS before ` +
        `${(before / 1e6).toFixed(0)} MB, sampled peak ${(peak / 1e6).toFixed(0)} MB, VmHWM ` +
        `${(server.peakRss() / 1e6).toFixed(0)} MB (goal < 300 MB); load average ${load()}`,
    )
  } finally {
    await server.stop()
    await db.drop()
  }
}

await main()
