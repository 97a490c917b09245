import { mkdirSync } from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  type CompiledQuery,
  type KyselyConfig,
  type SqliteDatabase,
} from 'kysely'
import pg from 'pg'
import type { Logger } from 'pino'
import { SQLITE_FILE_NAME } from '../config.js'
import { postgresCaps, sqliteCaps, type DialectCaps } from './dialect.js'
import { migrationProvider } from './migrations/index.js'
import type { DatabaseSchema } from './schema.js'

export type Db = Kysely<DatabaseSchema>

/** An open database with what its dialect can do. */
export interface Database {
  readonly db: Db
  readonly caps: DialectCaps
  /** Where it lives, without credentials: for logs. */
  readonly description: string
  /** Resolves when a trivial query succeeds; rejects when the database is unreachable. */
  ping(): Promise<void>
  /** PostgreSQL's connection pool: connections open, idle, and requests waiting for one. */
  poolStats?(): { total: number; idle: number; waiting: number }
  /** Runs `fn` while holding a lock that other processes on the same database also take to migrate. */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T>
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** `postgres://…`, `postgresql://…`, `sqlite:PATH`, or undefined for SQLite in dataDir. */
  url?: string | undefined
  dataDir: string
  poolSize?: number
  /** Called with every statement run (its SQL and parameters): benchmarks replay them on the raw driver. */
  onQuery?: ((query: CompiledQuery) => void) | undefined
}

/** Kysely's `log` option for `onQuery`, or none. */
function queryLog(onQuery: DatabaseOptions['onQuery']): KyselyConfig['log'] {
  if (!onQuery) return undefined
  return (event) => {
    if (event.level === 'query') onQuery(event.query)
  }
}

// The SQLite file's name lives with the config (the CLI needs it without reaching into db/).
export { SQLITE_FILE_NAME }

// pg returns int8 (count(*)) as a string by default; our counts fit in a JS number.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10))

function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'postgres (unparseable URL)'
  }
}

/** Marks an error of opening a SQLite file with that file, so the CLI can name it (src/cli/operator-errors.ts). */
function withFile<T>(file: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof Error && !('path' in err)) Object.assign(err, { path: file })
    throw err
  }
}

function openSqlite(file: string, onQuery?: DatabaseOptions['onQuery']): Database {
  mkdirSync(path.dirname(file), { recursive: true })
  // The busy timeout makes writers queue instead of failing.
  const sqlite = withFile(file, () => new SQLite(file, { timeout: 10_000 }))
  // WAL lets the CLI write while a server reads.
  withFile(file, () => enableWal(sqlite))
  // NORMAL in WAL mode survives a process crash (kill -9); only an OS crash may lose the last commits.
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('foreign_keys = ON')
  // A 1M-entry library's random-id and full-text index pages stay cached (bounded: 32 MB), and the WAL
  // is checkpointed (synced and copied back) every ~16 MB instead of every 4 MB: the import keeps its pace.
  sqlite.pragma('cache_size = -32768')
  sqlite.pragma('wal_autocheckpoint = 4000')
  // ANALYZE samples at most this many rows per index: fast at any size (media-entry.repository.ts).
  sqlite.pragma('analysis_limit = 1000')
  const db = new Kysely<DatabaseSchema>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    log: queryLog(onQuery),
  })
  return {
    db,
    caps: sqliteCaps,
    description: `sqlite:${file}`,
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    withMigrationLock: (fn) => withSqliteFileLock(`${file}.migrate-lock`, fn),
    close: () => db.destroy(),
  }
}

/**
 * Switches a new file to WAL (a no-op for a file that is in WAL already). Two processes opening one fresh
 * file at once (two servers started together) can race on the switch: the loser holds a read lock and
 * needs a write lock the winner holds, and SQLite answers SQLITE_BUSY at once instead of waiting, since
 * waiting could deadlock. The loser retries: the winner's switch takes milliseconds.
 */
function enableWal(sqlite: SQLite.Database, deadline = Date.now() + 10_000): void {
  const pause = new Int32Array(new SharedArrayBuffer(4))
  for (let attempt = 1; ; attempt++) {
    try {
      sqlite.pragma('journal_mode = WAL')
      return
    } catch (err) {
      const busy = (err as { code?: string }).code?.startsWith('SQLITE_BUSY') ?? false
      if (!busy || Date.now() > deadline) throw err
      Atomics.wait(pause, 0, 0, Math.min(200, 10 * attempt)) // a short synchronous pause: opening is synchronous
    }
  }
}

/** Prepared statements kept per connection; the least recently used one goes first. */
const STATEMENT_CACHE_SIZE = 64

/**
 * Kysely prepares a statement for every query. The import's multi-row INSERT has thousands of parameters,
 * and preparing it cost more CPU than running it; worse, every discarded statement held native memory
 * until V8 happened to collect its small wrapper, which kept the server's RSS high during long imports.
 * The same SQL text now reuses its statement. Safe because Kysely runs one query at a time on this
 * connection and medialib never streams SQLite results (a streaming statement cannot be reused while open).
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>()
  return {
    close: () => {
      cache.clear()
      sqlite.close()
    },
    prepare(text) {
      let statement = cache.get(text)
      if (statement) cache.delete(text)
      else statement = sqlite.prepare(text)
      cache.set(text, statement)
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!)
      return statement
    },
  }
}

function openPostgres(url: string, poolSize: number, onQuery?: DatabaseOptions['onQuery']): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5_000 })
  // An idle client whose server went away emits 'error' on the pool; without a listener that kills the process.
  pool.on('error', () => undefined)
  // A client checked out when its server goes away (between a transaction's statements, or between checkout and
  // its query) emits 'error' on itself, where the pool listens only while it is idle: without a listener of its
  // own that too kills the process. The statement in flight gets the error; the pool drops the dead client on release.
  pool.on('connect', (client) => {
    client.on('error', () => undefined)
  })
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }), log: queryLog(onQuery) })
  return {
    db,
    caps: postgresCaps,
    description: redactUrl(url),
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    // Kysely's migrator takes a PostgreSQL advisory lock itself.
    withMigrationLock: (fn) => fn(),
    close: () => db.destroy(),
  }
}

/**
 * A cross-process mutex for SQLite migrations. Kysely's SQLite adapter has no migration lock (it assumes
 * one process), so two servers starting at once could both run a pending migration. An exclusive
 * transaction on a small side file serialises them; the busy timeout makes the second one wait.
 */
async function withSqliteFileLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  const lock = withFile(lockFile, () => new SQLite(lockFile))
  try {
    lock.pragma('busy_timeout = 60000')
    lock.exec('BEGIN EXCLUSIVE')
    try {
      return await fn()
    } finally {
      lock.exec('COMMIT')
    }
  } finally {
    lock.close()
  }
}

/** Opens the database the URL names. Does not connect yet for PostgreSQL (the pool connects lazily). */
export function openDatabase(options: DatabaseOptions): Database {
  const url = options.url?.trim()
  const { onQuery } = options
  if (url && /^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options.poolSize ?? 10, onQuery)
  if (url && url.startsWith('sqlite:')) return openSqlite(path.resolve(url.slice('sqlite:'.length)), onQuery)
  if (url)
    throw new Error(`Unsupported database URL (expected postgres://… or sqlite:PATH): ${redactUrl(url)}`)
  return openSqlite(path.join(options.dataDir, SQLITE_FILE_NAME), onQuery)
}

/** Migrations this code knows that the database has not run yet (readiness: `/readyz`). */
export async function pendingMigrations(database: Database): Promise<string[]> {
  const migrator = new Migrator({ db: database.db, provider: migrationProvider(database.caps) })
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name)
}

/**
 * Brings the schema up to date. Several processes starting at once migrate exactly once: on PostgreSQL
 * Kysely's migrator takes an advisory lock; on SQLite, where Kysely's adapter has none, an exclusive
 * transaction on a side file (`<file>.migrate-lock`, see withSqliteFileLock) serialises them.
 */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({ db: database.db, provider: migrationProvider(database.caps) })
  const { error, results } = await database.withMigrationLock(() => migrator.migrateToLatest())
  if (error) throw error
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/**
 * Brings the schema to exactly the named migration (tests build a database as an older release left it,
 * to check the upgrade from it).
 */
export async function migrateTo(database: Database, name: string): Promise<void> {
  const migrator = new Migrator({ db: database.db, provider: migrationProvider(database.caps) })
  const { error } = await database.withMigrationLock(() => migrator.migrateTo(name))
  if (error) throw error
}

/** Waits until the database answers, logging each failed attempt; gives up after `attempts`. */
export async function waitForDatabase(
  database: Database,
  logger: Pick<Logger, 'warn'>,
  { attempts = 30, delayMs = 1000 } = {},
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await database.ping()
      return
    } catch (err) {
      if (attempt >= attempts) throw err
      logger.warn(
        { attempt, of: attempts, database: database.description, reason: (err as Error).message },
        `database not reachable, retrying in ${delayMs} ms`,
      )
      await new Promise((resolve) => setTimeout(resolve, delayMs))
    }
  }
}
