/**
 * Fresh databases and real `medialib serve` processes for the import benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'

export type Dialect = 'sqlite' | 'postgres'

export const CLI = path.resolve('dist/src/cli/main.js')
/** The Node flags of the CLI's shebang (`#!/usr/bin/env -S node …`): spawned as users run it. */
export const NODE_FLAGS = (
  /^#!.*?\bnode\b(.*)$/m.exec(readFileSync(CLI, 'utf8').split('\n', 1)[0] ?? '')?.[1] ?? ''
)
  .split(/\s+/)
  .filter((f) => f !== '')
export const PG_URL = process.env.MEDIALIB_BENCH_POSTGRES_URL ?? process.env.MEDIALIB_TEST_POSTGRES_URL

/** A fresh, empty place for one run: a data directory and, on PostgreSQL, a database of its own. */
export interface BenchDatabase {
  dialect: Dialect
  dataDir: string
  /** The `--database` argument, or undefined for SQLite in the data directory. */
  url?: string
  sqliteFile: string
  /** Bytes on disk: the SQLite file and its WAL, or pg_database_size. */
  size(): Promise<number>
  drop(): Promise<void>
}

async function admin(text: string, server = PG_URL): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: server })
  await client.connect()
  try {
    return (await client.query(text)).rows
  } finally {
    await client.end()
  }
}

let counter = 0

/** `server`: the PostgreSQL server to create the database on (default: PG_URL). */
export async function freshDatabase(dialect: Dialect, server = PG_URL): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'medialib-bench-import-'))
  const sqliteFile = path.join(dataDir, 'medialib.sqlite')
  if (dialect === 'sqlite') {
    const fileSize = (f: string) => {
      try {
        return statSync(f).size
      } catch {
        return 0
      }
    }
    return {
      dialect,
      dataDir,
      sqliteFile,
      size: async () => fileSize(sqliteFile) + fileSize(`${sqliteFile}-wal`),
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    }
  }
  const name = `medialib_bench_import_${process.pid}_${++counter}`
  await admin(`CREATE DATABASE ${name}`, server)
  const u = new URL(server!)
  u.pathname = `/${name}`
  return {
    dialect,
    dataDir,
    url: u.toString(),
    sqliteFile,
    size: async () => {
      const rows = (await admin(`SELECT pg_database_size('${name}') AS bytes`, server)) as { bytes: number }[]
      return Number(rows[0]!.bytes)
    },
    drop: async () => {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, server)
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * PostgreSQL: the CPU seconds so far of every backend connected to the database, by pid (from
 * `/proc/<pid>/stat`; the server runs on this machine). Two snapshots give the database's CPU over a run.
 */
export async function backendCpu(db: BenchDatabase): Promise<Map<number, number>> {
  const name = new URL(db.url!).pathname.slice(1)
  const rows = (await admin(
    `SELECT pid FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
  )) as { pid: number }[]
  const cpu = new Map<number, number>()
  for (const { pid } of rows) {
    try {
      cpu.set(pid, cpuSecondsOf(pid))
    } catch {
      // the backend ended in between
    }
  }
  return cpu
}

/** CPU seconds the backends used between two snapshots (a backend new in `after` counts from zero). */
export function backendCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0
  for (const [pid, seconds] of after) sum += seconds - (before.get(pid) ?? 0)
  return sum
}

/** Environment without the caller's MEDIALIB_* settings: the benchmark says everything explicitly. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MEDIALIB_')) env[k] = v
  return { ...env, ...extra }
}

export const dbArgs = (db: BenchDatabase) => [
  '--data-dir',
  db.dataDir,
  ...(db.url ? ['--database', db.url] : []),
]

/** Runs a CLI command to completion and returns its stdout; throws on a non-zero exit. */
export async function runCli(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [...NODE_FLAGS, CLI, ...args], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`medialib ${args.join(' ')} exited with ${code}: ${err}`)
  return out
}

export interface ServeProcess {
  child: ChildProcess
  baseUrl: string
  token: string
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRss(): number
  /** Current resident set size (VmRSS), in bytes. */
  rss(): number
  /** CPU time (user + system) the server used so far, in seconds. */
  cpuSeconds(): number
  stop(): Promise<void>
}

function statusField(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
  return match ? Number(match[1]) * 1024 : 0
}

/** utime + stime of a process from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/**
 * Starts `node dist/src/cli/main.js serve` on a free port of 127.0.0.1 with the default log level,
 * then creates a write token with `medialib tokens create`. `nodeArgs` go to node (e.g. --cpu-prof).
 */
export async function startServe(
  db: BenchDatabase,
  nodeArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, ...nodeArgs, CLI, 'serve', '--host', '127.0.0.1', '--port', '0', ...dbArgs(db)],
    { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let head = ''
  let stderr = ''
  // The request log goes to stdout; read it (a full pipe would block the server) but keep only the start.
  child.stdout!.on('data', (d: Buffer) => {
    if (head.length < 20_000) head += d.toString()
  })
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 20_000) stderr += d.toString()
  })
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve did not start in 60 s:\n${head}${stderr}`)),
      60_000,
    )
    const check = () => {
      const match = /medialib listening on (http:\/\/[\d.]+:\d+)/.exec(head)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout!.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code}:\n${head}${stderr}`))
    })
  })
  const token = (
    await runCli([
      'tokens',
      'create',
      '--project',
      'default',
      '--scope',
      'public-api:write',
      '--scope',
      'public-api:read',
      '--name',
      'bench',
      ...dbArgs(db),
    ])
  ).trim()
  const pid = child.pid!
  return {
    child,
    baseUrl,
    token,
    peakRss: () => statusField(pid, 'VmHWM'),
    rss: () => statusField(pid, 'VmRSS'),
    cpuSeconds: () => cpuSecondsOf(pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      await exited
      clearTimeout(timer)
    },
  }
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
