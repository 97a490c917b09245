/**
 * Upload throughput and memory (issue #18), in one run:
 * 1. `medialib import FILE --files DIR` of N generated JPEGs (20–200 KB) to a `medialib serve` process,
 *    `BENCH_CONCURRENCY` uploads at a time (the CLI hashes each file, asks knownHashes, uploads by
 *    multipart): files/s and MB/s, against the raw ceiling of reading, hashing (SHA-256) and writing the
 *    same files on the same disk at the same concurrency; then the re-run, which sends 0 bytes;
 * 2. one tus upload of 1 GB to the same process: MB/s and the server's peak RSS (VmHWM).
 *
 *   npm run bench:upload
 *   BENCH_FILES=2000 BENCH_TUS_MB=1024 npm run bench:upload
 *   BENCH_CPU_PROF=DIR npm run bench:upload     the server and each CLI run write a V8 CPU profile to DIR
 *
 * Besides the rates it prints the CPU time per file of the CLI, of the server and of the ceiling: on a
 * shared machine the rates swing with the load, the CPU per file much less.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import sharp from 'sharp'
import * as tus from 'tus-js-client'

const FILES = Number(process.env.BENCH_FILES ?? 1000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4)
const TUS_MB = Number(process.env.BENCH_TUS_MB ?? 1024)
const CLI = path.resolve('dist/src/cli/main.js')
const MB = 1024 * 1024

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

/** A JPEG of noise sized to land between 20 and 200 KB. */
async function makeJpeg(i: number): Promise<Buffer> {
  const side = 140 + ((i * 37) % 290)
  return sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer()
}

async function pool<T>(items: T[], concurrency: number, job: (item: T) => Promise<void>) {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await job(items[next++]!)
    }),
  )
}

/** The bare job: read, hash and write each file to another folder of the same disk. */
async function ceiling(files: string[], outDir: string): Promise<number> {
  await mkdir(outDir, { recursive: true })
  const started = performance.now()
  await pool(files, CONCURRENCY, async (file) => {
    const bytes = await readFile(file)
    createHash('sha256').update(bytes).digest('hex')
    await writeFile(path.join(outDir, path.basename(file)), bytes)
  })
  return (performance.now() - started) / 1000
}

const cpuProfArgs = () =>
  process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(process.env.BENCH_CPU_PROF)] : []

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSecondsOf(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Loaded into each CLI run (`--import`): prints the process's own CPU time to stderr when it exits. */
const CPU_REPORT = `process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('BENCH_CPU ' + (u.user + u.system) / 1e6 + '\\n') })`

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
}

async function startServe(dataDir: string) {
  const child = spawn(
    process.execPath,
    [...cpuProfArgs(), CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MEDIALIB_LOG_LEVEL: 'warn' },
    },
  )
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 60_000)
    child.stdout.on('data', () => {
      const match = /curl -s (http:\/\/[\d.]+:\d+)\//.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
  })
  await new Promise((r) => setTimeout(r, 200))
  const token = /^\s+(ml_[A-Za-z0-9_-]+)\s*$/m.exec(output)?.[1]
  if (!token) throw new Error(`no first token in:\n${output}`)
  return { child, baseUrl, token }
}

async function main() {
  const root = mkdtempSync(path.join(tmpdir(), 'medialib-bench-upload-'))
  try {
    const inputDir = path.join(root, 'input')
    await mkdir(inputDir)
    process.stdout.write(`generating ${FILES} JPEGs (20–200 KB)…\n`)
    const files: string[] = []
    let bytes = 0
    for (let i = 0; i < FILES; i++) {
      const jpeg = await makeJpeg(i)
      bytes += jpeg.length
      const file = path.join(inputDir, `${i}.jpg`)
      writeFileSync(file, jpeg)
      files.push(file)
    }
    const dataDir = path.join(root, 'data')
    const mediaTypes = path.join(root, 'media-types.json')
    writeFileSync(
      mediaTypes,
      JSON.stringify([
        { handle: 'image', type: 'mediaImage', metadata: [] },
        {
          handle: 'file',
          type: 'mediaFile',
          metadata: [],
          uploadRestrictions: { maxFileSize: `${TUS_MB + 1}mb` },
        },
      ]),
    )
    const server = await startServe(dataDir)
    const updated = spawnSync(
      process.execPath,
      [CLI, 'projects', 'update', 'default', '--media-types', mediaTypes, '--data-dir', dataDir],
      { encoding: 'utf8' },
    )
    if (updated.status !== 0) throw new Error(updated.stderr)
    await new Promise((r) => setTimeout(r, 2_500))

    const ceilingCpu = process.cpuUsage()
    const ceilingSeconds = await ceiling(files, path.join(root, 'ceiling'))
    const ceilingCpuUs = process.cpuUsage(ceilingCpu)
    const ceilingCpuSeconds = (ceilingCpuUs.user + ceilingCpuUs.system) / 1e6
    const cpuReport = path.join(root, 'cpu-report.mjs')
    writeFileSync(cpuReport, CPU_REPORT)
    const input = path.join(root, 'archive.ndjson')
    writeFileSync(
      input,
      files
        .map(
          (f, i) =>
            `${JSON.stringify({ systemName: 'bench', externalId: `f${i}`, asset: { path: path.basename(f) } })}\n`,
        )
        .join(''),
    )
    const importFiles = () => {
      const serverCpuBefore = cpuSecondsOf(server.child.pid!)
      const started = performance.now()
      const run = spawnSync(
        process.execPath,
        [
          ...cpuProfArgs(),
          '--import',
          pathToFileURL(cpuReport).href,
          CLI,
          'import',
          input,
          '--files',
          inputDir,
          '--server',
          server.baseUrl,
          '--token',
          server.token,
          '--json',
          '--concurrency',
          String(CONCURRENCY),
        ],
        { encoding: 'utf8', maxBuffer: 64 * MB },
      )
      const seconds = (performance.now() - started) / 1000
      if (run.status !== 0) throw new Error(`import --files exited with ${run.status}:\n${run.stderr}`)
      const summary = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, number>
      const cliCpu = Number(/BENCH_CPU ([\d.]+)/.exec(run.stderr)?.[1] ?? NaN)
      const serverCpu = cpuSecondsOf(server.child.pid!) - serverCpuBefore
      return { seconds, summary, cliCpu, serverCpu }
    }
    const first = importFiles()
    if (first.summary.ok !== FILES) throw new Error(`first run: ${JSON.stringify(first.summary)}`)
    const uploadSeconds = first.seconds
    const again = importFiles()
    if (again.summary.alreadyPresent !== FILES || again.summary.bytesSent !== 0)
      throw new Error(`second run: ${JSON.stringify(again.summary)}`)
    const rssAfterMultipart = peakRssMb(server.child.pid!)

    const big = path.join(root, 'big.bin')
    const out = createWriteStream(big)
    for (let i = 0; i < TUS_MB; i++) if (!out.write(randomBytes(MB))) await once(out, 'drain')
    out.end()
    await once(out, 'finish')
    const tusStarted = performance.now()
    await new Promise<void>((resolve, reject) => {
      const upload = new tus.Upload(createReadStream(big), {
        endpoint: `${server.baseUrl}/api/v1/uploads`,
        headers: { authorization: `Bearer ${server.token}` },
        metadata: { filename: 'big.bin', mediaType: 'file' },
        chunkSize: 64 * MB,
        retryDelays: [],
        onSuccess: () => resolve(),
        onError: reject,
      })
      upload.start()
    })
    const tusSeconds = (performance.now() - tusStarted) / 1000
    const rss = peakRssMb(server.child.pid!)
    const exited = once(server.child, 'exit')
    server.child.kill('SIGTERM')
    await exited

    const mb = bytes / MB
    const msPerFile = (cpuSeconds: number) => ((cpuSeconds * 1000) / FILES).toFixed(2)
    const rows = [
      `load average: ${load()}`,
      `import --files (CLI process, multipart): ${FILES} files, ${mb.toFixed(1)} MB, concurrency ${CONCURRENCY}: ${(FILES / uploadSeconds).toFixed(1)} files/s, ${(mb / uploadSeconds).toFixed(1)} MB/s (bytes sent ${first.summary.bytesSent})`,
      `re-run (nothing to send): ${(FILES / again.seconds).toFixed(1)} files/s, bytes sent ${again.summary.bytesSent}`,
      `raw ceiling (read + sha256 + write, same disk): ${(FILES / ceilingSeconds).toFixed(1)} files/s, ${(mb / ceilingSeconds).toFixed(1)} MB/s`,
      `ratio: ${(ceilingSeconds / uploadSeconds).toFixed(2)}`,
      `CPU ratio (ceiling CPU per file / CLI + server CPU per file): ${(ceilingCpuSeconds / (first.cliCpu + first.serverCpu)).toFixed(2)}`,
      `CPU per file (ms): import --files CLI ${msPerFile(first.cliCpu)} + server ${msPerFile(first.serverCpu)}; re-run CLI ${msPerFile(again.cliCpu)} + server ${msPerFile(again.serverCpu)}; ceiling ${msPerFile(ceilingCpuSeconds)}`,
      `server peak RSS after import --files: ${rssAfterMultipart.toFixed(0)} MB`,
      `tus: ${TUS_MB} MB in ${tusSeconds.toFixed(1)} s: ${(TUS_MB / tusSeconds).toFixed(1)} MB/s; server peak RSS ${rss.toFixed(0)} MB`,
    ]
    process.stdout.write(`${rows.join('\n')}\n`)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
