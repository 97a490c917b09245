/**
 * Source scans (issue #22), against a real `medialib serve` process whose in-process worker runs the scan:
 *
 * 1. First scan of N small files (default 100,000 distinct 1×1 PNGs in nested folders, 100 a folder): files/s
 *    against the raw ceiling of the bare job on the same disk, in the same run: walk the folder, stat + read +
 *    SHA-256 + image-size each file (4 at once, as the worker's 4 slots), and one INSERT per 1,000 rows with the
 *    driver's fastest plain statement into a table holding only the keys (SQLite: a prepared statement in a
 *    transaction; PostgreSQL: a multi-row INSERT), measured twice, the faster counted. Goal: ratio ≥ 0.5.
 * 2. Rescan of the same files, unchanged: seconds, and that nothing was created, updated or failed.
 * 3. A second source of M files (default 1,000,000): its first scan (reported), then its unchanged rescan,
 *    timed (goal ≤ 60 s), with the server's peak RSS during that rescan (goal < 300 MB).
 * 4. The server's peak RSS over the whole run, and its CPU seconds per scan.
 *
 * The generated trees are kept between runs under os.tmpdir()/medialib-bench-scan/<count> (remove the folder to
 * free the space: 1,000,000 files take about 4 GB of blocks).
 *
 *   npm run bench:scan [-- --files 100000 --rescan-files 1000000 (0: none) --dialect sqlite|postgres
 *                          --cpu-prof DIR (the server's CPU profile, written when it stops)
 *                          --cache cold|warm (default cold)]
 *
 * The page cache is put in the same state before the first scan and before each ceiling, so that neither reads
 * what the other just brought into memory: `cold` (the default, what a first scan of an archive meets) drops
 * the kernel's caches (`/proc/sys/vm/drop_caches`, root only; without the right the run says so and falls
 * back to warm); `warm` reads every file of the tree once first. Rescans run as they find the cache.
 *
 * Over 300 lines: the four measurements, their ceiling and the trees they scan are read best in one place.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, type Dirent } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { crc32, deflateSync } from 'node:zlib'
import { imageSize } from 'image-size'
import pg from 'pg'
import { openRawSqlite } from './import-ceiling.js'
import {
  dbArgs,
  freshDatabase,
  PG_URL,
  runCli,
  startServe,
  type Dialect,
  type ServeProcess,
} from './import-server.js'
import { option } from './options.js'

const FILES = Number(option('files', '100000'))
const RESCAN_FILES = Number(option('rescan-files', '1000000'))
const DIALECT = option('dialect', 'sqlite') as Dialect
const CPU_PROF = option('cpu-prof', '')
const CACHE = option('cache', 'cold')
if (CACHE !== 'cold' && CACHE !== 'warm') throw new Error('--cache is cold or warm')
let cacheMode: 'cold' | 'warm' = CACHE
const CONCURRENCY = 4
const BATCH = 1000

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

/** A valid 1×1 grey PNG whose tEXt chunk holds `n`: every file distinct, each about 90 bytes. */
function tinyPng(n: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8)
    head.writeUInt32BE(data.length, 0)
    head.write(type, 4, 'latin1')
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
    return Buffer.concat([head, data, crc])
  }
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]) // 1×1, 8-bit greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from(`n\0${n}`, 'latin1')),
    chunk('IDAT', deflateSync(Buffer.from([0, n % 256]))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** 100 files a folder, in two levels of folders (100 × up to 100 at 1,000,000 files). */
const relativeOf = (i: number) => `d${Math.floor(i / 10_000)}/e${Math.floor(i / 100) % 100}/img-${i}.png`

/** The tree of `count` files, generated once and kept under the cache folder (a marker says it is whole). */
function treeOf(count: number): string {
  const cache = path.join(tmpdir(), 'medialib-bench-scan')
  const dir = path.join(cache, String(count))
  const complete = path.join(cache, `${count}.complete`)
  if (existsSync(complete)) return dir
  rmSync(dir, { recursive: true, force: true })
  const t0 = performance.now()
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, relativeOf(i))
    if (i % 100 === 0) mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, tinyPng(i))
  }
  writeFileSync(complete, '')
  console.log(`${count} files generated in ${((performance.now() - t0) / 1000).toFixed(1)} s under ${dir}`)
  return dir
}

/** The files under `dir`, relative to it, as the walk of the bare job finds them. */
const filesOf = (dir: string) =>
  (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))

/** `work` for every file of `files`, CONCURRENCY at once (each file's index with it). */
async function eachAtOnce(files: string[], work: (relative: string, i: number) => Promise<void>) {
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < files.length; i = next++) await work(files[i]!, i)
    }),
  )
}

/** Reads every file under `dir` once, so that a measurement after it finds them in memory. */
async function readTree(dir: string) {
  await eachAtOnce(filesOf(dir), async (relative) => {
    await readFile(path.join(dir, relative))
  })
}

/** The page cache in the same state before each measured first read of the tree (`--cache`). */
async function levelCache(dir: string) {
  if (cacheMode === 'cold') {
    try {
      execFileSync('sync')
      writeFileSync('/proc/sys/vm/drop_caches', '3')
      return
    } catch (err) {
      console.log(`cannot drop the page cache (${(err as Error).message}): measuring with a warm cache`)
      cacheMode = 'warm'
    }
  }
  await readTree(dir)
}

/** The bare job: walk, stat + read + SHA-256 + image-size (CONCURRENCY at once), one INSERT per BATCH rows. */
async function ceiling(dir: string, dialect: Dialect): Promise<number> {
  const db = await freshDatabase(dialect)
  const create =
    'CREATE TABLE scan_ceiling (project TEXT NOT NULL, id TEXT NOT NULL, system_name TEXT NOT NULL, ' +
    'external_id TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, width INTEGER, height INTEGER, ' +
    'PRIMARY KEY (project, id), UNIQUE (project, system_name, external_id))'
  let insertBatch: (rows: unknown[][]) => Promise<void>
  let close: () => Promise<void>
  if (dialect === 'sqlite') {
    const sqlite = openRawSqlite(db.sqliteFile)
    sqlite.exec(create)
    const statement = sqlite.prepare('INSERT INTO scan_ceiling VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    const many = sqlite.transaction((rows: unknown[][]) => {
      for (const row of rows) statement.run(row)
    })
    insertBatch = async (rows) => {
      many(rows)
    }
    close = async () => {
      sqlite.close()
    }
  } else {
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    await client.query(create)
    insertBatch = async (rows) => {
      const values = rows.map(
        (_, r) => `(${Array.from({ length: 8 }, (_, c) => `$${r * 8 + c + 1}`).join(', ')})`,
      )
      await client.query(`INSERT INTO scan_ceiling VALUES ${values.join(', ')}`, rows.flat())
    }
    close = () => client.end()
  }
  try {
    await levelCache(dir)
    const start = performance.now()
    const files = filesOf(dir)
    let rows: unknown[][] = []
    let flushing = Promise.resolve()
    await eachAtOnce(files, async (relative, i) => {
      const file = path.join(dir, relative)
      const s = await stat(file)
      const bytes = await readFile(file)
      const sha = createHash('sha256').update(bytes).digest('hex')
      const { width, height } = imageSize(bytes)
      rows.push(['default', `c${i}`, 'files', relative, sha, s.size, width, height])
      if (rows.length >= BATCH) {
        const batch = rows
        rows = []
        flushing = flushing.then(() => insertBatch(batch))
        await flushing
      }
    })
    if (rows.length > 0) await insertBatch(rows)
    await flushing
    return files.length / ((performance.now() - start) / 1000)
  } finally {
    await close()
    await db.drop()
  }
}

interface ScanStatus {
  state: string
  counts: Record<string, number>
  createdAt: string
  finishedAt: string | null
}

/** From queued to finished, as the scan's record says (without the CLI's start and its polling). */
const ownSeconds = (s: ScanStatus) =>
  s.finishedAt ? (Date.parse(s.finishedAt) - Date.parse(s.createdAt)) / 1000 : Number.NaN

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`

/** Resets the process's peak RSS (VmHWM) to its current RSS (Linux: /proc/<pid>/clear_refs). */
function resetPeak(pid: number) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
  } catch {
    // not Linux, or not allowed: the peak stays the process's
  }
}

async function main() {
  if (DIALECT === 'postgres' && !PG_URL)
    throw new Error('set MEDIALIB_TEST_POSTGRES_URL for --dialect postgres')
  const dir = treeOf(FILES)
  const bigDir = RESCAN_FILES > 0 && RESCAN_FILES !== FILES ? treeOf(RESCAN_FILES) : undefined
  console.log(
    `scan bench (${DIALECT}): ${FILES} files${bigDir ? ` then ${RESCAN_FILES}` : ''}; load average ${load()}`,
  )
  const db = await freshDatabase(DIALECT)
  if (CPU_PROF) mkdirSync(CPU_PROF, { recursive: true })
  const serve = await startServe(db, CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [])
  try {
    await runCli(['sources', 'add', 'files', '--project', 'default', '--disk', dir, ...dbArgs(db)])
    await levelCache(dir)
    const first = await scan(serve, db, 'files')
    if (first.status.counts.created !== FILES)
      throw new Error(`first scan: ${JSON.stringify(first.status)} (expected ${FILES} created)`)
    const scanned = FILES / first.seconds
    // The ceiling twice, right after the scan and once more, and the faster counted: it varies by a third
    // from run to run on this machine (the neighbours), and a slow one would flatter us. Each starts from
    // the same page cache as the scan did (levelCache).
    const raws = [await ceiling(dir, DIALECT), await ceiling(dir, DIALECT)]
    const raw = Math.max(...raws)
    console.log(
      `first scan: ${FILES} files in ${first.seconds.toFixed(1)} s (queued to finished: ` +
        `${ownSeconds(first.status).toFixed(1)} s) = ${scanned.toFixed(0)} files/s; raw ceiling ` +
        `${raw.toFixed(0)} files/s (the faster of ${raws.map((r) => r.toFixed(0)).join(' and ')}; ${cacheMode} page cache); ratio ${(scanned / raw).toFixed(2)} (goal ≥ 0.5); server CPU ` +
        `${((first.cpu / FILES) * 1000).toFixed(3)} ms/file; load average ${load()}`,
    )
    await rescan(serve, db, 'files', FILES, RESCAN_FILES === FILES)
    if (bigDir) {
      await runCli(['sources', 'add', 'million', '--project', 'default', '--disk', bigDir, ...dbArgs(db)])
      const big = await scan(serve, db, 'million')
      if (big.status.counts.created !== RESCAN_FILES)
        throw new Error(`first scan: ${JSON.stringify(big.status)} (expected ${RESCAN_FILES} created)`)
      console.log(
        `first scan of the second source: ${RESCAN_FILES} files in ${big.seconds.toFixed(1)} s (queued to ` +
          `finished: ${ownSeconds(big.status).toFixed(1)} s) = ` +
          `${(RESCAN_FILES / big.seconds).toFixed(0)} files/s; load average ${load()}`,
      )
      await rescan(serve, db, 'million', RESCAN_FILES, true)
    }
    console.log(`server peak RSS (VmHWM) over the whole run: ${mb(serve.peakRss())} (goal < 300 MB)`)
  } finally {
    await serve.stop()
    await db.drop()
  }
}

interface Timed {
  seconds: number
  /** Server CPU seconds (user + system) over the scan. */
  cpu: number
  status: ScanStatus
}

/** One scan queued and followed by the CLI (serve's in-process worker runs it), then its status. */
async function scan(
  serve: ServeProcess,
  db: Awaited<ReturnType<typeof freshDatabase>>,
  source: string,
): Promise<Timed> {
  const cpu0 = serve.cpuSeconds()
  const started = performance.now()
  const out = await runCli(['sources', 'scan', source, '--project', 'default', ...dbArgs(db)])
  const seconds = (performance.now() - started) / 1000
  const cpu = serve.cpuSeconds() - cpu0
  const id = /scan (\S+)/.exec(out)?.[1]
  if (!id) throw new Error(`no scan id in: ${out}`)
  const res = await fetch(`${serve.baseUrl}/api/v1/mediaLibrary/sources/${source}/scans/${id}`, {
    headers: { authorization: `Bearer ${serve.token}` },
  })
  if (res.status !== 200) throw new Error(`scan status: ${res.status} ${await res.text()}`)
  return { seconds, cpu, status: (await res.json()) as ScanStatus }
}

/** An unchanged rescan of `files`: timed, checked (all unchanged), with the server's peak RSS during it. */
async function rescan(
  serve: ServeProcess,
  db: Awaited<ReturnType<typeof freshDatabase>>,
  source: string,
  files: number,
  goal: boolean,
) {
  resetPeak(serve.child.pid!)
  const again = await scan(serve, db, source)
  const { unchanged = 0, created = 0, updated = 0, failed = 0 } = again.status.counts
  if (unchanged !== files || created + updated + failed !== 0)
    throw new Error(`rescan: ${JSON.stringify(again.status)} (expected ${files} unchanged)`)
  console.log(
    `rescan: ${files} unchanged files in ${again.seconds.toFixed(1)} s (queued to finished: ` +
      `${ownSeconds(again.status).toFixed(1)} s) = ${(files / again.seconds).toFixed(0)} files/s` +
      `${goal ? ' (goal: 1,000,000 in ≤ 60 s)' : ''}; server CPU ${again.cpu.toFixed(1)} s; peak RSS during it ` +
      `${mb(serve.peakRss())}${goal ? ' (goal < 300 MB)' : ''}; load average ${load()}`,
  )
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
