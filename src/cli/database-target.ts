import { existsSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import type { Config } from '../config.js'
import { SQLITE_FILE_NAME } from '../config.js'
import { UsageError } from '../errors.js'

/** The database a config points at, described for people: which engine, and where (never a password). */
export type DatabaseTarget =
  { kind: 'sqlite'; file: string; label: string } | { kind: 'postgres'; url: string; label: string }

const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url)

/** Resolves the database of a config as `openDatabase` does, without opening it. */
export function databaseTarget(config: Pick<Config, 'databaseUrl' | 'dataDir'>): DatabaseTarget {
  const url = config.databaseUrl?.trim()
  if (url && isPostgresUrl(url)) {
    let where = 'postgres (unparseable URL)'
    try {
      const u = new URL(url)
      const user = u.username ? `${decodeURIComponent(u.username)}@` : ''
      where = `${user}${u.hostname}${u.port ? `:${u.port}` : ''}/${decodeURIComponent(u.pathname.slice(1)) || 'postgres'}`
    } catch {
      // keep the generic description
    }
    return { kind: 'postgres', url, label: `PostgreSQL at ${where}` }
  }
  const file =
    url && url.startsWith('sqlite:')
      ? path.resolve(url.slice('sqlite:'.length))
      : path.join(path.resolve(config.dataDir), SQLITE_FILE_NAME)
  return { kind: 'sqlite', file, label: `SQLite at ${file}` }
}

/** Whether the PostgreSQL database already holds medialib's schema (its migration table). */
async function postgresHasSchema(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  await client.connect()
  try {
    const { rows } = await client.query<{ table: string | null }>(
      `select to_regclass('kysely_migration')::text as table`,
    )
    return rows[0]?.table != null
  } finally {
    await client.end()
  }
}

export interface AnnounceOptions {
  /** Whether a database that does not exist yet may be created (`--init`, `serve`, `migrate`). */
  init: boolean
  /** PostgreSQL: how long to keep retrying a server that does not answer (seconds; default 0). */
  waitSeconds?: number
}

/**
 * Prints `using <database>` (to stderr: stdout stays for the command's output, e.g. a token), and refuses
 * a database that does not exist yet unless `init`: an admin command run from the wrong directory must
 * not quietly create an empty database there.
 */
export async function announceDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  { init, waitSeconds = 0 }: AnnounceOptions,
): Promise<DatabaseTarget> {
  const target = databaseTarget(config)
  process.stderr.write(`using ${target.label}\n`)
  if (init) return target
  if (target.kind === 'sqlite') {
    if (!existsSync(target.file)) {
      throw new UsageError(
        `no medialib database at ${target.file}; pass --data-dir or set MEDIALIB_DATA_DIR (--init creates a new one there)`,
      )
    }
  } else {
    let exists: boolean
    for (let waited = 0; ; waited++) {
      try {
        exists = await postgresHasSchema(target.url)
        break
      } catch (err) {
        const reason = (err as Error).message
        if (waited >= waitSeconds) throw new UsageError(`cannot reach ${target.label}: ${reason}`)
        process.stderr.write(`${target.label} not reachable (${reason}); retrying in 1 s\n`)
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    }
    if (!exists) {
      throw new UsageError(
        `no medialib database at ${target.label}; pass --database or set MEDIALIB_DATABASE_URL (--init creates one there)`,
      )
    }
  }
  return target
}
