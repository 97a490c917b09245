import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { DEFAULT_CONFIG, type Config } from '../../src/config.js'

export type DialectName = 'sqlite' | 'postgres'

/**
 * `MEDIALIB_TEST_DIALECTS=sqlite` runs the SQLite variants only, on purpose (the other-Node.js tiers of CI,
 * scripts/ci-other-node.sh); otherwise PostgreSQL runs whenever its URL is set, and CI requires it.
 */
const SQLITE_ONLY = process.env.MEDIALIB_TEST_DIALECTS === 'sqlite'
const POSTGRES_URL = SQLITE_ONLY ? undefined : process.env.MEDIALIB_TEST_POSTGRES_URL

if (!POSTGRES_URL && !SQLITE_ONLY) {
  if (process.env.CI) {
    throw new Error('MEDIALIB_TEST_POSTGRES_URL is not set: CI must run the PostgreSQL tests, not skip them')
  }
  console.warn(
    '\n*** MEDIALIB_TEST_POSTGRES_URL is not set: SKIPPING the PostgreSQL variants of the tests ***\n',
  )
}

/** The dialects every integration and end-to-end test loops over. */
export const DIALECTS: DialectName[] = POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite']

/** A fresh, empty database for one test file, and the config that points at it. */
export interface TestDatabase {
  dialect: DialectName
  config: Config
  /** The data directory (always a fresh temporary directory). */
  dataDir: string
  drop(): Promise<void>
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/** Runs one statement on the PostgreSQL server's admin database (`MEDIALIB_TEST_POSTGRES_URL`). */
export async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

export async function createTestDatabase(
  dialect: DialectName,
  overrides: Partial<Config> = {},
): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'medialib-test-'))
  const base: Config = { ...DEFAULT_CONFIG, dataDir, logLevel: 'silent', ...overrides }
  if (dialect === 'sqlite') {
    return {
      dialect,
      config: base,
      dataDir,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    }
  }
  if (!POSTGRES_URL) throw new Error('MEDIALIB_TEST_POSTGRES_URL is not set')
  const name = `medialib_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  await adminQuery(`CREATE DATABASE ${name}`)
  return {
    dialect,
    config: { ...base, databaseUrl: withDatabase(POSTGRES_URL, name), dbPoolSize: 5 },
    dataDir,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
