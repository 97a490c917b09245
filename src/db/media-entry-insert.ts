// The media entry repository's batch insert (`insertNew`): its statement builders, the compiled multi-row
// insert cache and the ANALYZE schedule (split from media-entry.repository.ts, issue #21).
import { CompiledQuery, sql } from 'kysely'
import type { MediaEntry } from '../media/entry.js'
import { retryTransient } from './retry.js'
import type { EntryEvent } from '../events/entry-events.js'
import type { MediaEntryContext } from './media-entry.context.js'

export const COLUMNS_PER_ROW = 13
/** PostgreSQL's batch insert (see `unnestInsert`): the project, then one array per column. */
const PG_UNNEST_INSERT = `INSERT INTO media_entries
  (project, id, version, media_type, system_name, external_id, asset, metadata, translations, created_at,
   updated_at, search_text, content_sha256)
  SELECT $1::text, u.* FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
    $8::jsonb[], $9::jsonb[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[])
  AS u(id, version, media_type, system_name, external_id, asset, metadata, translations, created_at,
    updated_at, search_text, content_sha256)
  ON CONFLICT DO NOTHING RETURNING id`
const UNNEST_COLUMNS = 12
/** An insert statement's JSON and text, at most (about): see `insertStatements`. */
const STATEMENT_BYTES = 2 * 1024 * 1024

/** SQLite: indexes the full text of the rows from a seq on (the rows one import batch just inserted). */
const FTS_FILL_SQL =
  'INSERT INTO media_entries_fts(rowid, search_text) SELECT seq, search_text FROM media_entries WHERE seq >= ?'

/** The key whose unique index an entry contends on: (systemName, externalId) when set, else the id. */
const lockKey = (e: MediaEntry) =>
  e.externalId !== undefined ? `x\u0000${e.systemName}\u0000${e.externalId}` : `i\u0000${e.id}`
export const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Entries in lock-key order (each key computed once, not once per comparison). */
const inLockOrder = (entries: readonly MediaEntry[]): MediaEntry[] =>
  entries
    .map((e) => ({ key: lockKey(e), e }))
    .sort((a, b) => compareKeys(a.key, b.key))
    .map(({ e }) => e)

/** The outcome of inserting a batch: which entries landed and which collided with stored ones. */
export interface InsertOutcome {
  inserted: Set<string>
  /** Ids of entries not inserted because the id is taken in the project. */
  idTaken: Set<string>
  /** Ids of entries not inserted because their (systemName, externalId) is taken. */
  externalIdTaken: Set<string>
}

/** The repository's `insertNew` (see MediaEntryRepository), with its per-repository state. */
export function createInsertNew(ctx: MediaEntryContext) {
  const { db, caps, outbox, subscribed, chunkSize, lookupChunk } = ctx
  // The entries of a batch share one timestamp: convert it once, not twice per entry.
  let lastIso = ''
  let lastTime: Date | string = ''
  const insertTime = (iso: string) => {
    if (iso !== lastIso) {
      lastTime = caps.toTime(new Date(iso))
      lastIso = iso
    }
    return lastTime
  }
  const toRow = (project: string, e: MediaEntry) => ({
    project,
    id: e.id,
    version: e.version,
    media_type: e.mediaType,
    system_name: e.systemName ?? null,
    external_id: e.externalId ?? null,
    asset: JSON.stringify(e.asset),
    metadata: JSON.stringify(e.metadata),
    translations: e.translations === undefined ? null : JSON.stringify(e.translations),
    created_at: insertTime(e.createdAt),
    updated_at: insertTime(e.updatedAt),
    search_text: e.searchText ?? '',
    content_sha256: e.contentSha256 ?? null,
  })
  type InsertRow = ReturnType<typeof toRow>

  /**
   * The multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING id` for `n` rows, compiled by Kysely once
   * per row count and kept: building and compiling a 1,000-row query cost more than executing it.
   * Its parameters are the rows' values, row after row, in the columns' order.
   */
  const insertSql = new Map<number, { sql: string; columns: (keyof InsertRow)[] }>()
  const compiledInsert = (sample: InsertRow, n: number) => {
    let compiled = insertSql.get(n)
    if (!compiled) {
      const query = db
        .insertInto('media_entries')
        .values(Array.from({ length: n }, () => sample))
        .onConflict((oc) => oc.doNothing())
        .returning(['id', 'seq'])
        .compile()
      const columns = Object.keys(sample) as (keyof InsertRow)[]
      if (query.parameters.length !== n * columns.length) throw new Error('unexpected insert parameters')
      compiled = { sql: query.sql, columns }
      if (insertSql.size < 64) insertSql.set(n, compiled)
    }
    return compiled
  }

  /**
   * PostgreSQL: a whole batch in one `INSERT … SELECT FROM unnest(…)`, its columns bound as 12 arrays:
   * the backend parses and binds 13 parameters instead of 13 per row (bench:index-cost measured 13 against
   * 20 µs of backend CPU per entry into the keys-only table). unnest keeps the arrays' (lock-key) order.
   */
  const unnestInsert = (project: string, rows: readonly InsertRow[]) => {
    const columns: unknown[][] = Array.from({ length: UNNEST_COLUMNS }, () => new Array(rows.length))
    rows.forEach((row, r) => {
      columns[0]![r] = row.id
      columns[1]![r] = row.version
      columns[2]![r] = row.media_type
      columns[3]![r] = row.system_name
      columns[4]![r] = row.external_id
      columns[5]![r] = row.asset
      columns[6]![r] = row.metadata
      columns[7]![r] = row.translations
      columns[8]![r] = row.created_at
      columns[9]![r] = row.updated_at
      columns[10]![r] = row.search_text
      columns[11]![r] = row.content_sha256
    })
    return { sql: PG_UNNEST_INSERT, parameters: [project, ...columns] }
  }
  const rowsInsert = (rows: readonly InsertRow[]) => {
    const { sql: text, columns } = compiledInsert(rows[0]!, rows.length)
    const parameters: unknown[] = new Array(rows.length * columns.length)
    let p = 0
    for (const row of rows) for (const column of columns) parameters[p++] = row[column]
    return { sql: text, parameters }
  }

  /**
   * The insert statements of a batch, each built when the one before has run: one statement per
   * `chunkSize` rows on SQLite (its bind-parameter limit), one for the batch on PostgreSQL, and a new one
   * whenever a statement's JSON and text reach STATEMENT_BYTES, so a batch of big entries (64 MiB of
   * metadata) is never serialised whole at once (issue 13, finding 10).
   */
  function* insertStatements(project: string, ordered: readonly MediaEntry[]) {
    const perStatement = caps.name === 'postgres' ? Infinity : chunkSize
    let rows: InsertRow[] = []
    let bytes = 0
    for (const e of ordered) {
      const row = toRow(project, e)
      rows.push(row)
      bytes +=
        row.asset.length + row.metadata.length + (row.translations?.length ?? 0) + row.search_text.length
      if (rows.length >= perStatement || bytes >= STATEMENT_BYTES) {
        yield caps.name === 'postgres' ? unnestInsert(project, rows) : rowsInsert(rows)
        rows = []
        bytes = 0
      }
    }
    if (rows.length > 0) yield caps.name === 'postgres' ? unnestInsert(project, rows) : rowsInsert(rows)
  }

  /**
   * Planner statistics after bulk imports. Without them, PostgreSQL looked externalIds up by walking the
   * system's entries (19 ms instead of 0.7 ms at 20k entries) until autovacuum first analysed the table,
   * and both databases planned the library's first page badly. This process analyses the table when its
   * own inserts reach 1,000, then 10×, 100× as many: a handful of runs in a process's life, in the
   * background (SQLite samples at most 1,000 rows per index: `analysis_limit`).
   */
  let insertedHere = 0
  let nextAnalyzeAt = 1_000
  const refreshStatistics = () => {
    sql`ANALYZE media_entries`.execute(db).catch(() => undefined)
  }

  return async function insertNew(project: string, entries: readonly MediaEntry[]): Promise<InsertOutcome> {
    const outcome: InsertOutcome = { inserted: new Set(), idTaken: new Set(), externalIdTaken: new Set() }
    if (entries.length === 0) return outcome
    // Rows go in key order, so two overlapping batches lock keys in the same order; a deadlock that
    // remains (an entry with both keys crossing another) rolls the transaction back and runs again.
    const ordered = inLockOrder(entries)
    const subs = await subscribed(project)
    const createEvents = outbox !== undefined && subs.has('mediaLibraryEntry.create')
    // PostgreSQL, a batch whose rows go in one statement and nothing written beside them (no events): the
    // statement alone, without begin and commit, two round trips fewer (a URL import's group of a few
    // entries paid three). One INSERT is atomic on its own, and under READ COMMITTED the lookup of the
    // rejected ids below sees the same as it would inside a transaction.
    let alone: { sql: string; parameters: unknown[] } | undefined
    if (caps.name === 'postgres' && !createEvents) {
      const statements = insertStatements(project, ordered)
      const first = statements.next()
      if (!first.done && statements.next().done) alone = first.value
    }
    const write = async (trx: typeof db) => {
      outcome.inserted.clear()
      outcome.idTaken.clear()
      outcome.externalIdTaken.clear()
      let firstSeq = Infinity
      for (const chunk of alone ? [alone] : insertStatements(project, ordered)) {
        const returned = await trx.executeQuery<{ id: string; seq: number | string }>(
          CompiledQuery.raw(chunk.sql, chunk.parameters),
        )
        for (const r of returned.rows) {
          outcome.inserted.add(r.id)
          firstSeq = Math.min(firstSeq, Number(r.seq))
        }
      }
      // SQLite: the batch's full text in one statement (see migration 0006). This transaction holds
      // the write lock since its first insert and new rows take the next rowids, so every row from
      // the batch's smallest seq on is one of its own.
      if (caps.name === 'sqlite' && firstSeq !== Infinity) {
        await trx.executeQuery(CompiledQuery.raw(FTS_FILL_SQL, [firstSeq]))
      }
      const rejected = entries.filter((e) => !outcome.inserted.has(e.id)).map((e) => e.id)
      for (let i = 0; i < rejected.length; i += lookupChunk) {
        const chunk = rejected.slice(i, i + lookupChunk)
        const existing = await trx
          .selectFrom('media_entries')
          .select('id')
          .where('project', '=', project)
          .where('id', 'in', chunk)
          .execute()
        for (const r of existing) outcome.idTaken.add(r.id)
      }
      for (const id of rejected) if (!outcome.idTaken.has(id)) outcome.externalIdTaken.add(id)
      if (outbox && createEvents) {
        const created = entries
          .filter((e) => outcome.inserted.has(e.id))
          .map((e): EntryEvent => ({ event: 'mediaLibraryEntry.create', mediaId: e.id }))
        await outbox.write(trx, project, created, subs)
      }
    }
    await retryTransient(caps, () => (alone ? write(db) : db.transaction().execute(write)))
    insertedHere += outcome.inserted.size
    if (insertedHere >= nextAnalyzeAt) {
      nextAnalyzeAt = insertedHere * 10
      refreshStatistics()
    }
    return outcome
  }
}
