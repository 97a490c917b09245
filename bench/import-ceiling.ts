/**
 * The ceiling: the benchmark's entries inserted straight into medialib's own schema (created by its
 * migrations, so every index and trigger is the real one) with the fastest plain statements the driver
 * offers, one transaction per batch; no HTTP, no validation. Rows (ids, JSON text, search text) are
 * prepared before the clock starts, so the figure is the database's alone.
 */
import { performance } from 'node:perf_hooks'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { DEFAULT_CONFIG } from '../src/config.js'
import { createDeps } from '../src/deps.js'
import { benchEntries, BENCH_PROJECT, ceilingRow, CEILING_COLUMNS } from './import-entries.js'
import type { BenchDatabase } from './import-server.js'

const quiet = { warn: () => undefined }

/**
 * A bare better-sqlite3 connection with the settings medialib runs with (src/db/database.ts): for
 * writing ceilings, or `readonly` for reading ones (then only the page cache applies).
 */
export function openRawSqlite(file: string, readonly = false): SQLite.Database {
  const sqlite = new SQLite(file, { readonly })
  if (!readonly) {
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = NORMAL')
    sqlite.pragma('foreign_keys = ON')
    sqlite.pragma('wal_autocheckpoint = 4000')
  }
  sqlite.pragma('cache_size = -32768')
  return sqlite
}

/** Creates the schema with medialib's migrations and the project the entries belong to. */
export async function prepareSchema(db: BenchDatabase): Promise<void> {
  const deps = await createDeps(
    { ...DEFAULT_CONFIG, dataDir: db.dataDir, databaseUrl: db.url, logLevel: 'silent' },
    quiet,
  )
  try {
    await deps.projects.ensure(BENCH_PROJECT)
  } finally {
    await deps.close()
  }
}

/**
 * Inserts `count` entries (from entry `start` on, so that calls can follow each other on one database)
 * in batches of `batch`: entries per second, and this process's CPU per entry (on SQLite that is the
 * database's work; on PostgreSQL the server process does it).
 */
export async function measureCeiling(
  db: BenchDatabase,
  count: number,
  batch: number,
  start = 0,
): Promise<{ rate: number; cpuUs: number }> {
  await prepareSchema(db)
  const timestamp = new Date().toISOString()
  const rows = benchEntries(start, count, 'ceiling').map((e) => ceilingRow(e, timestamp))
  const columns = CEILING_COLUMNS.join(', ')
  if (db.dialect === 'sqlite') {
    const sqlite = openRawSqlite(db.sqliteFile)
    const insert = sqlite.prepare(
      `INSERT INTO media_entries (${columns}) VALUES (${CEILING_COLUMNS.map(() => '?').join(', ')})`,
    )
    const insertBatch = sqlite.transaction((slice: unknown[][]) => {
      for (const row of slice) insert.run(row)
    })
    const cpu = process.cpuUsage()
    const began = performance.now()
    for (let i = 0; i < rows.length; i += batch) insertBatch(rows.slice(i, i + batch))
    const seconds = (performance.now() - began) / 1000
    const used = process.cpuUsage(cpu)
    sqlite.close()
    return { rate: count / seconds, cpuUs: (used.user + used.system) / count }
  }
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    const width = CEILING_COLUMNS.length
    const placeholders = (n: number) =>
      Array.from(
        { length: n },
        (_, r) => `(${CEILING_COLUMNS.map((_, c) => `$${r * width + c + 1}`).join(', ')})`,
      ).join(', ')
    const text = `INSERT INTO media_entries (${columns}) VALUES ${placeholders(batch)}`
    const cpu = process.cpuUsage()
    const began = performance.now()
    for (let i = 0; i < rows.length; i += batch) {
      const slice = rows.slice(i, i + batch)
      const sql =
        slice.length === batch
          ? text
          : `INSERT INTO media_entries (${columns}) VALUES ${placeholders(slice.length)}`
      await client.query('BEGIN')
      await client.query(sql, slice.flat())
      await client.query('COMMIT')
    }
    const seconds = (performance.now() - began) / 1000
    const used = process.cpuUsage(cpu)
    return { rate: count / seconds, cpuUs: (used.user + used.system) / count }
  } finally {
    await client.end()
  }
}
