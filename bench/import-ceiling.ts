/**
 * The import's two ceilings: the benchmark's entries inserted with the fastest plain statements the
 * driver offers, one transaction per batch, no HTTP, no validation. Rows (ids, JSON text, search text)
 * are prepared before the clock starts, so each figure is the database's alone.
 * - the **schema ceiling** (`measureCeiling`): into medialib's own schema, created by its migrations
 *   (every index, the full-text index: FTS5 filled per batch on SQLite as the import does, the generated
 *   tsvector and GIN index on PostgreSQL);
 * - the **keys-only ceiling** (`measureKeysOnlyCeiling`): the same rows into a table that holds only the
 *   seed's two keys, primary key (project, id) and unique (project, systemName, externalId).
 */
import { performance } from 'node:perf_hooks'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { DEFAULT_CONFIG } from '../src/config.js'
import { createDeps } from '../src/deps.js'
import { benchEntries, BENCH_PROJECT, ceilingRow, CEILING_COLUMNS } from './import-entries.js'
import { cpuSecondsOf, type BenchDatabase } from './import-server.js'

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

export interface Timed {
  /** Entries per second. */
  rate: number
  /** This process's CPU per entry, µs (on SQLite the database's work). */
  cpuUs: number
  /**
   * The database's CPU per entry, µs: this process's on SQLite, the PostgreSQL backend's (from /proc) on
   * PostgreSQL. Steadier than the rate on a shared machine; background writers are not counted.
   */
  dbCpuUs: number
}

/** The schema ceiling: the entries into medialib's own schema, created by its migrations (see timedInsert). */
export async function measureCeiling(
  db: BenchDatabase,
  count: number,
  batch: number,
  start = 0,
): Promise<Timed> {
  await prepareSchema(db)
  return timedInsert(db, count, batch, [], {
    start,
    table: 'media_entries',
    // The full-text index is filled once per batch, in the batch's transaction, as the import does.
    ...(db.dialect === 'sqlite'
      ? {
          afterBatch:
            'INSERT INTO {t}_fts(rowid, search_text) SELECT seq, search_text FROM {t} WHERE seq >= ?',
        }
      : {}),
  })
}

/** How PostgreSQL inserts a batch: one multi-row `INSERT … VALUES`, or `INSERT … SELECT FROM unnest(…)`. */
export type PgForm = 'multi-row' | 'unnest'

/** The PostgreSQL types of CEILING_COLUMNS, for unnest's arrays. */
const PG_TYPES = [
  'text',
  'text',
  'int',
  'text',
  'text',
  'text',
  'jsonb',
  'jsonb',
  'jsonb',
  'timestamptz',
  'timestamptz',
  'text',
] as const

/**
 * The keys-only table: the 12 columns medialib writes, with only the seed's two keys. On SQLite the
 * rowid is named `seq` (as medialib's is) so that an index can refer to it; a primary key that is not
 * an INTEGER PRIMARY KEY is a unique index beside the rowid, so `UNIQUE (project, id)` here stores the
 * same two b-trees as `PRIMARY KEY (project, id)`.
 */
export function keysOnlyDdl(dialect: BenchDatabase['dialect'], table: string): string[] {
  const sqlite = dialect === 'sqlite'
  const json = sqlite ? 'TEXT' : 'jsonb'
  const time = sqlite ? 'TEXT' : 'timestamptz'
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
      ${sqlite ? 'seq INTEGER PRIMARY KEY,' : ''}
      project TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, media_type TEXT NOT NULL,
      system_name TEXT, external_id TEXT, asset ${json} NOT NULL, metadata ${json} NOT NULL,
      translations ${json}, created_at ${time} NOT NULL, updated_at ${time} NOT NULL,
      search_text TEXT NOT NULL,
      ${sqlite ? 'UNIQUE (project, id)' : 'PRIMARY KEY (project, id)'})`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${table}_external_id ON ${table} (project, system_name, external_id)
      WHERE external_id IS NOT NULL`,
  ]
}

/** SQLite: the ceiling's one-row INSERT of CEILING_COLUMNS into `table`, for a prepared statement. */
export const sqliteRowInsert = (table: string) =>
  `INSERT INTO ${table} (${CEILING_COLUMNS.join(', ')}) VALUES (${CEILING_COLUMNS.map(() => '?').join(', ')})`

export interface KeysOnlyOptions {
  /** The first entry number (calls can follow each other on one table). */
  start?: number
  table?: string
  /** PostgreSQL: the statement form (default multi-row). */
  form?: PgForm
  /** DDL run once after the table is created, `{t}` standing for the table: an index whose cost is measured. */
  extraDdl?: string[]
  /** SQLite: a statement run at the end of each batch with the batch's first rowid (a full-text fill). */
  afterBatch?: string
  /** PostgreSQL, unnest form: an extra column computed from the row's search text by the statement. */
  computed?: { column: string; expression: string }
}

/**
 * The same rows as `measureCeiling` into the keys-only table (plus `extraDdl`): entries per second and
 * this process's CPU per entry.
 */
export async function measureKeysOnly(
  db: BenchDatabase,
  count: number,
  batch: number,
  options: KeysOnlyOptions = {},
): Promise<Timed> {
  const table = options.table ?? 'keys_only'
  return timedInsert(db, count, batch, [...keysOnlyDdl(db.dialect, table), ...(options.extraDdl ?? [])], {
    ...options,
    table,
  })
}

/**
 * Runs `ddl` (`{t}` standing for the table), then inserts `count` entries (from entry `start` on, so that
 * calls can follow each other on one table) in batches of `batch`, one transaction each: entries per
 * second, and this process's CPU per entry (on SQLite that is the database's work; on PostgreSQL the
 * server process does it).
 */
async function timedInsert(
  db: BenchDatabase,
  count: number,
  batch: number,
  ddlTemplates: string[],
  options: KeysOnlyOptions & { table: string },
): Promise<Timed> {
  const { start = 0, table, form = 'multi-row', afterBatch, computed } = options
  const ddl = ddlTemplates.map((d) => d.replaceAll('{t}', table))
  const timestamp = new Date().toISOString()
  const rows = benchEntries(start, count, 'ceiling').map((e) => ceilingRow(e, timestamp))
  const columns = CEILING_COLUMNS.join(', ')
  if (db.dialect === 'sqlite') {
    const sqlite = openRawSqlite(db.sqliteFile)
    for (const statement of ddl) sqlite.exec(statement)
    const insert = sqlite.prepare(sqliteRowInsert(table))
    const after = afterBatch ? sqlite.prepare(afterBatch.replaceAll('{t}', table)) : undefined
    const insertBatch = sqlite.transaction((slice: unknown[][]) => {
      let first: number | bigint | undefined
      for (const row of slice) {
        const { lastInsertRowid } = insert.run(row)
        first ??= lastInsertRowid
      }
      after?.run(first)
    })
    const cpu = process.cpuUsage()
    const began = performance.now()
    for (let i = 0; i < rows.length; i += batch) insertBatch(rows.slice(i, i + batch))
    const seconds = (performance.now() - began) / 1000
    const used = process.cpuUsage(cpu)
    sqlite.close()
    const cpuUs = (used.user + used.system) / count
    return { rate: count / seconds, cpuUs, dbCpuUs: cpuUs }
  }
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    for (const statement of ddl) await client.query(statement)
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
    const backendCpu = cpuSecondsOf(backend)
    const width = CEILING_COLUMNS.length
    const multiRow = (n: number) =>
      `INSERT INTO ${table} (${columns}) VALUES ${Array.from(
        { length: n },
        (_, r) => `(${CEILING_COLUMNS.map((_, c) => `$${r * width + c + 1}`).join(', ')})`,
      ).join(', ')}`
    const unnest = computed
      ? `INSERT INTO ${table} (${columns}, ${computed.column})
         SELECT u.*, ${computed.expression} FROM unnest(${PG_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})
         AS u(${columns})`
      : `INSERT INTO ${table} (${columns}) SELECT * FROM unnest(${PG_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`
    const full = multiRow(batch)
    const cpu = process.cpuUsage()
    const began = performance.now()
    for (let i = 0; i < rows.length; i += batch) {
      const slice = rows.slice(i, i + batch)
      await client.query('BEGIN')
      if (form === 'unnest') {
        await client.query(
          unnest,
          CEILING_COLUMNS.map((_, c) => slice.map((row) => row[c])),
        )
      } else {
        await client.query(slice.length === batch ? full : multiRow(slice.length), slice.flat())
      }
      await client.query('COMMIT')
    }
    const seconds = (performance.now() - began) / 1000
    const used = process.cpuUsage(cpu)
    return {
      rate: count / seconds,
      cpuUs: (used.user + used.system) / count,
      dbCpuUs: ((cpuSecondsOf(backend) - backendCpu) * 1e6) / count,
    }
  } finally {
    await client.end()
  }
}

/**
 * The keys-only ceiling. SQLite: a prepared statement per row. PostgreSQL: the faster of a multi-row
 * INSERT and an INSERT … SELECT FROM unnest per batch, each measured on its own table of the database.
 */
export async function measureKeysOnlyCeiling(
  db: BenchDatabase,
  count: number,
  batch: number,
  start = 0,
): Promise<Timed & { detail: string }> {
  if (db.dialect === 'sqlite') {
    const result = await measureKeysOnly(db, count, batch, { start })
    return { ...result, detail: 'prepared statement' }
  }
  const multi = await measureKeysOnly(db, count, batch, {
    start,
    table: 'keys_only_multi',
    form: 'multi-row',
  })
  const unnest = await measureKeysOnly(db, count, batch, { start, table: 'keys_only_unnest', form: 'unnest' })
  const best = unnest.rate > multi.rate ? { ...unnest, form: 'unnest' } : { ...multi, form: 'multi-row' }
  return {
    rate: best.rate,
    cpuUs: best.cpuUs,
    dbCpuUs: best.dbCpuUs,
    detail: `${best.form}; multi-row ${Math.round(multi.rate)}, unnest ${Math.round(unnest.rate)} entries/s`,
  }
}
