import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { createTestDatabase, type DialectName, type TestDatabase } from './dialects.js'

export const CLI = path.resolve('dist/src/cli/main.js')

export interface ServeProcess {
  child: ChildProcess
  baseUrl: string
  /** Everything the process printed on stdout and stderr so far. */
  output(): string
  /** The token printed at first start, if one was. */
  firstToken?: string
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Environment for child processes: no inherited MEDIALIB_* settings, so tests say everything explicitly. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MEDIALIB_')) env[k] = v
  return { ...env, ...extra }
}

/** Starts `medialib serve` as a real process on a random port of 127.0.0.1 and waits until it listens. */
export async function startServeProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  // Decoded as streams: a character split across two chunks must not become two replacement characters.
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stdout?.on('data', (d: string) => (output += d))
  child.stderr?.on('data', (d: string) => (output += d))
  const exited = once(child, 'exit')
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in time:\n${output}`)), 60_000)
    const check = () => {
      const match = /medialib listening on (http:\/\/[\d.]+:\d+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code}:\n${output}`))
    })
  })
  // The banner is written right after the listening line.
  await new Promise((r) => setTimeout(r, 100))
  const firstToken = /^\s+(ml_[A-Za-z0-9_-]+)\s*$/m.exec(output)?.[1]
  return {
    child,
    baseUrl,
    output: () => output,
    ...(firstToken ? { firstToken } : {}),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill(signal)
      const [code] = await exited
      return code as number | null
    },
  }
}

/** Runs a CLI command to completion. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (d: string) => (stdout += d))
  child.stderr.on('data', (d: string) => (stderr += d))
  // 'close', not 'exit': the exit can come before the last of stdout has been read.
  const [code] = await once(child, 'close')
  return { code: code as number | null, stdout, stderr }
}

/** `--data-dir DIR [--database URL]`: where a CLI command (or `serve`) finds a test database. */
export function databaseArgs(db: TestDatabase, dataDir = db.dataDir): string[] {
  return ['--data-dir', dataDir, ...(db.config.databaseUrl ? ['--database', db.config.databaseUrl] : [])]
}

/** Makes a token with the CLI (`medialib tokens create`), as an operator would; fails loudly when it cannot. */
export async function cliToken(dbArgs: string[], project: string, scopes: string[]): Promise<string> {
  const res = await runCli([
    'tokens',
    'create',
    '--project',
    project,
    ...scopes.flatMap((scope) => ['--scope', scope]),
    ...dbArgs,
  ])
  if (res.code !== 0) throw new Error(`tokens create exited with ${res.code}:\n${res.stderr}`)
  return res.stdout.trim()
}

/** `medialib serve` processes over one fresh test database (process tests: CLI, crashes, several servers). */
export interface ServeCluster {
  db: TestDatabase
  /** The data directory every process shares (the test database's own temporary directory). */
  dataDir: string
  /** `--data-dir DIR [--database URL]`, for CLI commands on the same database. */
  dbArgs: string[]
  /** The processes started at once (`processes`), in order. */
  servers: ServeProcess[]
  /** Starts one more serve process on the same database (stopped by `close()` too). */
  serve(env?: Record<string, string>): Promise<ServeProcess>
  /** A token made with the CLI on this database. */
  cliToken(project: string, scopes: string[]): Promise<string>
  /** SIGKILLs every process still running, drops the database and removes the data directory. */
  close(): Promise<void>
}

/**
 * Creates a test database and starts `processes` serve processes on it at once (so that they race for the
 * migrations and the default project, as a deployment's do), each with `env`.
 */
export async function startServeCluster(
  dialect: DialectName,
  options: { processes?: number; env?: Record<string, string> } = {},
): Promise<ServeCluster> {
  const db = await createTestDatabase(dialect)
  const dbArgs = databaseArgs(db)
  const started: ServeProcess[] = []
  const serve = async (env = options.env ?? {}) => {
    const child = await startServeProcess(dbArgs, env)
    started.push(child)
    return child
  }
  const close = async () => {
    await Promise.all(started.map((p) => p.stop('SIGKILL')))
    await db.drop()
  }
  const starting = await Promise.allSettled(Array.from({ length: options.processes ?? 1 }, () => serve()))
  const servers: ServeProcess[] = []
  for (const result of starting) {
    if (result.status === 'rejected') {
      await close()
      throw result.reason
    }
    servers.push(result.value)
  }
  return {
    db,
    dataDir: db.dataDir,
    dbArgs,
    servers,
    serve,
    cliToken: (project, scopes) => cliToken(dbArgs, project, scopes),
    close,
  }
}

/**
 * Starts `medialib worker` as a real process over a test database, with short leases and polls (a killed
 * worker's claims lapse fast), and no in-process worker elsewhere.
 */
export function startWorkerProcess(
  db: TestDatabase,
  options: { leaseMs?: number; args?: string[]; env?: Record<string, string> } = {},
): ChildProcess {
  const configFile = path.join(db.dataDir, 'worker.yaml')
  writeFileSync(
    configFile,
    JSON.stringify({
      jobs: {
        leaseMs: options.leaseMs ?? 1_500,
        pollMs: 50,
        retryBaseMs: 50,
        maxRetries: 3,
        inProcessWorker: false,
      },
    }),
  )
  const env: Record<string, string> = {
    MEDIALIB_DATA_DIR: db.dataDir,
    MEDIALIB_CONFIG: configFile,
    MEDIALIB_LOG_LEVEL: 'warn',
    ...options.env,
  }
  if (db.config.databaseUrl) env.MEDIALIB_DATABASE_URL = db.config.databaseUrl
  return spawn(process.execPath, [CLI, 'worker', ...(options.args ?? [])], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}
