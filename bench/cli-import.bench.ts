/**
 * `medialib import` at scale: generates N entries (default 1,000,000) into an NDJSON file, starts a real
 * server process over a fresh SQLite database (or BENCH_DATABASE_URL), imports the file with the CLI
 * and prints the client's peak RSS and the throughput, then the two raw-database ceilings: as many of the
 * import benchmark's entries inserted with the driver's plain statements, in the same batch size, into a
 * fresh copy of medialib's schema (schema ceiling) and into a table with only the seed's two keys
 * (keys-only ceiling; bench/import-ceiling.ts). Bounded by BENCH_TIMEOUT_S (default 900 s).
 *
 *   npm run bench:cli-import            # BENCH_ENTRIES=200000 for a shorter run
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { measureCeiling, measureKeysOnlyCeiling } from './import-ceiling.js'
import { CLI, freshDatabase, NODE_FLAGS } from './import-server.js'

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000)
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 900)
const BATCH = process.env.BENCH_BATCH ?? '500'
const CONCURRENCY = process.env.BENCH_CONCURRENCY ?? '4'

function env(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MEDIALIB_')) out[k] = v
  return { ...out, MEDIALIB_LOG_LEVEL: 'warn' }
}

async function generate(file: string): Promise<void> {
  const out = createWriteStream(file)
  for (let i = 0; i < ENTRIES; i++) {
    const entry = {
      id: `b-${i}`,
      systemName: 'bench',
      externalId: `x-${i}`,
      mediaType: 'image',
      asset: {
        key: `bench/${i % 1000}/${i}.jpg`,
        url: `https://cdn.example.com/bench/${i % 1000}/${i}.jpg`,
        size: 100_000 + i,
        width: 1920,
        height: 1080,
        mimeType: 'image/jpeg',
        filename: `photo-${i}.jpg`,
      },
      metadata: { title: `Photo ${i}`, caption: `Generated entry number ${i}`, source: 'Bench' },
    }
    if (!out.write(`${JSON.stringify(entry)}\n`)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

/** Peak resident memory (VmHWM) of a process, in bytes; undefined once it has exited. */
function peakRss(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

async function startServer(
  dataDir: string,
): Promise<{ child: ChildProcess; baseUrl: string; token: string }> {
  const db = process.env.BENCH_DATABASE_URL ? ['--database', process.env.BENCH_DATABASE_URL] : []
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, CLI, 'serve', '--port', '0', '--data-dir', dataDir, ...db],
    {
      env: env(),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  for (let waited = 0; waited < 60_000; waited += 100) {
    const url = /(http:\/\/127\.0\.0\.1:\d+)\/api/.exec(output)?.[1]
    const token = /^\s+(ml_[A-Za-z0-9_-]+)\s*$/m.exec(output)?.[1]
    if (url && token) return { child, baseUrl: url, token }
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`the server did not start (a database that already has tokens prints none):\n${output}`)
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'medialib-bench-import-'))
  const file = path.join(dir, 'entries.ndjson')
  try {
    let t = Date.now()
    await generate(file)
    console.log(
      `generated ${ENTRIES} entries (${mb(statSync(file).size)}) in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    )
    const server = await startServer(path.join(dir, 'data'))
    t = Date.now()
    const client = spawn(
      process.execPath,
      [
        ...NODE_FLAGS,
        CLI,
        'import',
        file,
        '--server',
        server.baseUrl,
        '--token',
        server.token,
        '--batch',
        BATCH,
        '--concurrency',
        CONCURRENCY,
        '--report',
        path.join(dir, 'report.ndjson'),
        '--quiet',
      ],
      { env: env(), stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let summary = ''
    client.stdout?.on('data', (d: Buffer) => (summary += d.toString()))
    let clientPeak = 0
    let serverPeak = 0
    const sampler = setInterval(() => {
      clientPeak = Math.max(clientPeak, peakRss(client.pid!) ?? 0)
      serverPeak = Math.max(serverPeak, peakRss(server.child.pid!) ?? 0)
    }, 200)
    const timeout = setTimeout(() => {
      console.log(`timeout after ${TIMEOUT_S} s: stopping the import`)
      client.kill('SIGINT')
    }, TIMEOUT_S * 1000)
    const [code] = (await once(client, 'exit')) as [number | null]
    clearInterval(sampler)
    clearTimeout(timeout)
    const seconds = (Date.now() - t) / 1000
    server.child.kill('SIGTERM')
    await once(server.child, 'exit')
    const ok = Number(/^ok\s+(\d+)/m.exec(summary)?.[1] ?? 0)
    console.log(summary.trimEnd())
    // The ceiling runs on the same server as the import: a fresh database next to BENCH_DATABASE_URL's.
    const pgServer = process.env.BENCH_DATABASE_URL
    const dialect = pgServer ? 'postgres' : 'sqlite'
    const ceilingDb = await freshDatabase(dialect, pgServer)
    let ceiling: number
    try {
      ceiling = (await measureCeiling(ceilingDb, ENTRIES, Number(BATCH))).rate
    } finally {
      await ceilingDb.drop()
    }
    const keysDb = await freshDatabase(dialect, pgServer)
    let keysOnly: { rate: number; detail: string }
    try {
      keysOnly = await measureKeysOnlyCeiling(keysDb, ENTRIES, Number(BATCH))
    } finally {
      await keysDb.drop()
    }
    console.log(
      [
        `entries imported: ${ok} of ${ENTRIES} (exit ${code}), batch ${BATCH}, concurrency ${CONCURRENCY}`,
        `wall time: ${seconds.toFixed(1)} s`,
        `throughput: ${Math.round(ok / seconds)} entries/s`,
        `schema ceiling (${ENTRIES} rows, batches of ${BATCH}, ${dialect}): ${Math.round(ceiling)} entries/s`,
        `keys-only ceiling (same rows, ${keysOnly.detail}): ${Math.round(keysOnly.rate)} entries/s`,
        `medialib import ÷ schema ceiling: ${(ok / seconds / ceiling).toFixed(2)}`,
        `medialib import ÷ keys-only ceiling: ${(ok / seconds / keysOnly.rate).toFixed(2)}`,
        `client peak RSS: ${mb(clientPeak)} (target < 150 MB)`,
        `server peak RSS: ${mb(serverPeak)}`,
      ].join('\n'),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
