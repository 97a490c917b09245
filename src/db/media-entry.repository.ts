// Over 300 lines: one repository object whose methods share per-instance state (the compiled multi-row
// insert cache, the ANALYZE schedule). Row mapping and the version-guarded writes are already apart
// (media-entry.rows.ts, media-entry-writes.ts); the search and sort SQL in media-entry-search/-sorted.ts.
import { CompiledQuery, sql } from 'kysely'
import type { MediaEntry } from '../media/entry.js'
import type { Database, Db } from './database.js'
import { unnestUpdate, writeIfVersion } from './media-entry-writes.js'
import { entryFromRow, READ_COLUMNS, type Row } from './media-entry.rows.js'
import { searchRows, type EntrySearch } from './media-entry-search.js'
import { countRows, rankedRows, sortedRows, type EntryCount } from './media-entry-sorted.js'
import { retryTransient } from './retry.js'
import { eventsOfWrite, type EntryEvent } from '../events/entry-events.js'
import type { EntryOutbox } from './entry-event.repository.js'

export type { EntrySearch } from './media-entry-search.js'
export type { EntryCount } from './media-entry-sorted.js'

const COLUMNS_PER_ROW = 12
/** PostgreSQL's batch insert (see `unnestInsert`): the project, then one array per column. */
const PG_UNNEST_INSERT = `INSERT INTO media_entries
  (project, id, version, media_type, system_name, external_id, asset, metadata, translations, created_at,
   updated_at, search_text)
  SELECT $1::text, u.* FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
    $8::jsonb[], $9::jsonb[], $10::timestamptz[], $11::timestamptz[], $12::text[])
  AS u(id, version, media_type, system_name, external_id, asset, metadata, translations, created_at,
    updated_at, search_text)
  ON CONFLICT DO NOTHING RETURNING id`
const UNNEST_COLUMNS = 11
/** An insert statement's JSON and text, at most (about): see `insertStatements`. */
const STATEMENT_BYTES = 2 * 1024 * 1024

/** SQLite: indexes the full text of the rows from a seq on (the rows one import batch just inserted). */
const FTS_FILL_SQL =
  'INSERT INTO media_entries_fts(rowid, search_text) SELECT seq, search_text FROM media_entries WHERE seq >= ?'

/** The key whose unique index an entry contends on: (systemName, externalId) when set, else the id. */
const lockKey = (e: MediaEntry) =>
  e.externalId !== undefined ? `x\u0000${e.systemName}\u0000${e.externalId}` : `i\u0000${e.id}`
const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

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

export interface EntryPage {
  entries: MediaEntry[]
  /** The position of the last entry when there are more, else undefined. */
  nextSeq?: number
  /** With `relevance`: the score of the last entry when there are more. */
  nextScore?: number
}

export interface MediaEntryRepository {
  /**
   * Inserts new entries in one transaction with multi-row `INSERT … ON CONFLICT DO NOTHING`.
   * Uniqueness is the database's: an entry that collides is skipped, then classified by lookup.
   * The caller guarantees the batch has no duplicate ids or externalIds of its own.
   */
  insertNew(project: string, entries: readonly MediaEntry[]): Promise<InsertOutcome>
  /** The entry unless it is in the trash; with `trashed`, trashed entries too. */
  get(project: string, id: string, options?: { trashed?: boolean }): Promise<MediaEntry | undefined>
  listByIds(project: string, ids: readonly string[]): Promise<MediaEntry[]>
  listByExternalIds(
    project: string,
    systemName: string,
    externalIds: readonly string[],
  ): Promise<MediaEntry[]>
  /** One page of entries in insertion order, by keyset on the insertion sequence. Never counts. */
  search(project: string, query: EntrySearch): Promise<EntryPage>
  /** How many entries a search matches: exact up to `exactUpTo`, an estimate beyond. */
  count(project: string, query: EntrySearch, exactUpTo: number): Promise<EntryCount>
  /**
   * Writes an entry's mutable fields if its stored version is still `expectedVersion`.
   * Returns false (and writes nothing) when the entry is gone or another write came first.
   */
  updateIfVersion(project: string, entry: MediaEntry, expectedVersion: number): Promise<boolean>
  /**
   * Writes several entries in one transaction, each guarded by its expected version (as
   * `updateIfVersion`), in order. All or none: false (nothing written) when any guard failed.
   */
  updateAllIfVersion(
    project: string,
    writes: readonly { entry: MediaEntry; expectedVersion: number }[],
  ): Promise<boolean>
  /**
   * Replaces the search text of entries (after their project's indexed properties changed), in one
   * transaction, each only if its version is still the one the text was derived from. The full-text index
   * follows the column (SQLite: FTS5 update trigger; PostgreSQL: the generated tsvector). Returns how many changed.
   */
  rewriteSearchText(
    project: string,
    rows: readonly { id: string; version: number; searchText: string }[],
  ): Promise<number>
  /** Trashed entries of every project whose `deletedAt` is before `before`, oldest first, at most `limit`. */
  listTrashedBefore(before: Date, limit: number): Promise<{ project: string; entry: MediaEntry }[]>
  /** A project's trashed entries, most recently deleted first, at most `limit`. */
  listTrash(project: string, limit: number): Promise<MediaEntry[]>
  /**
   * Moves an entry to the trash (sets `deleted_at`, version + 1) if its stored version is still
   * `expectedVersion`; nothing else changes. Returns false when another write came first.
   */
  markTrashed(project: string, id: string, expectedVersion: number, at: Date): Promise<boolean>
  /** Removes a trashed entry for good if it is still trashed at this version. Returns whether it did. */
  purge(project: string, id: string, version: number): Promise<boolean>
  /** The SHA-256 of the file an entry's asset was last downloaded from (URL imports skip unchanged files). */
  getContentSha(project: string, entryId: string): Promise<string | undefined>
  setContentSha(project: string, entryId: string, sha256: string): Promise<void>
}

const NO_SUBSCRIPTIONS: ReadonlySet<string> = new Set()

/**
 * `outbox`: entry events (issue #16) are written by every write here, in its transaction, when some
 * webhook of the project subscribes to them (see entry-event.repository.ts).
 */
export function createMediaEntryRepository(
  database: Database,
  options: { outbox?: EntryOutbox } = {},
): MediaEntryRepository {
  const { db, caps } = database
  const { outbox } = options
  const subscribed = (project: string) => (outbox ? outbox.subscribed(project) : NO_SUBSCRIPTIONS)
  const fromRow = (row: Row) => entryFromRow(caps, row)
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
   * PostgreSQL: a whole batch in one `INSERT … SELECT FROM unnest(…)`, its columns bound as 11 arrays:
   * the backend parses and binds 12 parameters instead of 12 per row (bench:index-cost measured 13 against
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

  /** Sets `deleted_at` (version + 1) if the entry is still at `expectedVersion` and not in the trash. */
  const trash = async (target: Db, project: string, id: string, expectedVersion: number, at: Date) => {
    const result = await target
      .updateTable('media_entries')
      .set({ deleted_at: caps.toTime(at), version: expectedVersion + 1 })
      .where('project', '=', project)
      .where('id', '=', id)
      .where('version', '=', expectedVersion)
      .where('deleted_at', 'is', null)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  }

  /** The entries (trashed ones too) that are still at the given versions. */
  const readVersions = async (
    target: Db,
    project: string,
    wanted: readonly { id: string; version: number }[],
  ): Promise<MediaEntry[]> => {
    const version = new Map(wanted.map((w) => [w.id, w.version]))
    const found: MediaEntry[] = []
    const ids = [...version.keys()]
    for (let i = 0; i < ids.length; i += lookupChunk) {
      const rows = await target
        .selectFrom('media_entries as e')
        .select(READ_COLUMNS)
        .where('project', '=', project)
        .where('id', 'in', ids.slice(i, i + lookupChunk))
        .execute()
      for (const row of rows) {
        const entry = fromRow(row as Row)
        if (version.get(entry.id) === entry.version) found.push(entry)
      }
    }
    return found
  }

  const chunkSize = Math.floor(caps.maxBindParams / COLUMNS_PER_ROW)
  const lookupChunk = Math.floor(caps.maxBindParams / 2)
  const columns = sql.join(READ_COLUMNS.map((c) => sql.ref(`e.${c}`)))

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

  return {
    async insertNew(project, entries) {
      const outcome: InsertOutcome = { inserted: new Set(), idTaken: new Set(), externalIdTaken: new Set() }
      if (entries.length === 0) return outcome
      // Rows go in key order, so two overlapping batches lock keys in the same order; a deadlock that
      // remains (an entry with both keys crossing another) rolls the transaction back and runs again.
      const ordered = inLockOrder(entries)
      const subs = await subscribed(project)
      await retryTransient(caps, () =>
        db.transaction().execute(async (trx) => {
          outcome.inserted.clear()
          outcome.idTaken.clear()
          outcome.externalIdTaken.clear()
          let firstSeq = Infinity
          for (const chunk of insertStatements(project, ordered)) {
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
          if (outbox && subs.has('mediaLibraryEntry.create')) {
            const created = entries
              .filter((e) => outcome.inserted.has(e.id))
              .map((e): EntryEvent => ({ event: 'mediaLibraryEntry.create', mediaId: e.id }))
            await outbox.write(trx, project, created, subs)
          }
        }),
      )
      insertedHere += outcome.inserted.size
      if (insertedHere >= nextAnalyzeAt) {
        nextAnalyzeAt = insertedHere * 10
        refreshStatistics()
      }
      return outcome
    },

    async get(project, id, options) {
      let query = db
        .selectFrom('media_entries as e')
        .select(READ_COLUMNS)
        .where('project', '=', project)
        .where('id', '=', id)
      if (!options?.trashed) query = query.where('deleted_at', 'is', null)
      const row = await query.executeTakeFirst()
      return row ? entryFromRow(caps, row as Row) : undefined
    },

    async listByIds(project, ids) {
      if (ids.length === 0) return []
      const rows = await db
        .selectFrom('media_entries as e')
        .select(READ_COLUMNS)
        .where('project', '=', project)
        .where('id', 'in', [...ids])
        .where('deleted_at', 'is', null)
        .execute()
      return rows.map((r) => entryFromRow(caps, r as Row))
    },

    async listByExternalIds(project, systemName, externalIds) {
      if (externalIds.length === 0) return []
      const rows = await db
        .selectFrom('media_entries as e')
        .select(READ_COLUMNS)
        .where('project', '=', project)
        .where('system_name', '=', systemName)
        .where('external_id', 'in', [...externalIds])
        .where('deleted_at', 'is', null)
        .execute()
      return rows.map((r) => entryFromRow(caps, r as Row))
    },

    async search(project, query) {
      const sort = query.sort
      const words = query.words
      if (query.relevance && words) {
        const ranked = await rankedRows<Row>(database, project, { ...query, words }, columns)
        const more = ranked.length > query.limit
        const pageRows = more ? ranked.slice(0, query.limit) : ranked
        const last = pageRows[pageRows.length - 1]
        const page: EntryPage = { entries: pageRows.map((r) => entryFromRow(caps, r)) }
        if (more && last) Object.assign(page, { nextSeq: Number(last.seq), nextScore: last.score })
        return page
      }
      const rows = sort
        ? await sortedRows<Row>(database, project, { ...query, sort }, columns)
        : await searchRows<Row>(database, project, query, columns)
      const more = rows.length > query.limit
      const pageRows = more ? rows.slice(0, query.limit) : rows
      const page: EntryPage = { entries: pageRows.map((r) => entryFromRow(caps, r)) }
      if (more) page.nextSeq = Number(pageRows[pageRows.length - 1]!.seq)
      return page
    },

    count: (project, query, exactUpTo) => countRows(database, project, query, exactUpTo),

    async updateIfVersion(project, entry, expectedVersion) {
      const subs = await subscribed(project)
      if (!outbox || subs.size === 0) return writeIfVersion(caps, db, project, entry, expectedVersion)
      // What changed is told by the row as it was: read in the transaction, at the version the write expects.
      return db.transaction().execute(async (trx) => {
        const [before] = await readVersions(trx, project, [{ id: entry.id, version: expectedVersion }])
        if (!before || !(await writeIfVersion(caps, trx, project, entry, expectedVersion))) return false
        await outbox.write(trx, project, eventsOfWrite(before, entry), subs)
        return true
      })
    },

    async updateAllIfVersion(project, writes) {
      // One write per entry: its last state, guarded by the version stored before the first. In id order,
      // so that two batches over the same entries lock them in the same order (no deadlock).
      const byId = new Map<string, { entry: MediaEntry; expectedVersion: number }>()
      for (const w of writes) {
        byId.set(w.entry.id, {
          entry: w.entry,
          expectedVersion: byId.get(w.entry.id)?.expectedVersion ?? w.expectedVersion,
        })
      }
      const rows = [...byId.values()].sort((a, b) => compareKeys(a.entry.id, b.entry.id))
      if (rows.length === 0) return true
      const missed = new Error('a version moved')
      const subs = await subscribed(project)
      const withEvents = outbox !== undefined && subs.size > 0
      try {
        await db.transaction().execute(async (trx) => {
          const befores = withEvents
            ? await readVersions(
                trx,
                project,
                rows.map((r) => ({ id: r.entry.id, version: r.expectedVersion })),
              )
            : []
          if (caps.name === 'postgres') {
            if ((await unnestUpdate(trx, project, rows)) !== rows.length) throw missed
          } else {
            for (const { entry, expectedVersion } of rows) {
              if (!(await writeIfVersion(caps, trx, project, entry, expectedVersion))) throw missed
            }
          }
          if (withEvents) {
            // Every write landed at its expected version, so each read row is the entry as it was.
            const before = new Map(befores.map((e) => [e.id, e]))
            const events = rows.flatMap(({ entry }) => {
              const was = before.get(entry.id)
              return was ? eventsOfWrite(was, entry) : []
            })
            await outbox.write(trx, project, events, subs)
          }
        })
        return true
      } catch (err) {
        if (err === missed) return false
        throw err
      }
    },

    async rewriteSearchText(project, rows) {
      if (rows.length === 0) return 0
      return db.transaction().execute(async (trx) => {
        let changed = 0
        for (const row of rows) {
          const result = await trx
            .updateTable('media_entries')
            .set({ search_text: row.searchText })
            .where('project', '=', project)
            .where('id', '=', row.id)
            .where('version', '=', row.version)
            // Unchanged texts are not written: no churn in the full-text index.
            .where('search_text', '!=', row.searchText)
            .executeTakeFirst()
          changed += Number(result.numUpdatedRows)
        }
        return changed
      })
    },

    async listTrashedBefore(before, limit) {
      const rows = await db
        .selectFrom('media_entries as e')
        .select([...READ_COLUMNS, 'project'])
        .where('deleted_at', 'is not', null)
        .where('deleted_at', '<', caps.toTime(before))
        .orderBy('deleted_at')
        .limit(limit)
        .execute()
      return rows.map((r) => ({ project: r.project, entry: entryFromRow(caps, r as Row) }))
    },

    async listTrash(project, limit) {
      const rows = await db
        .selectFrom('media_entries as e')
        .select(READ_COLUMNS)
        .where('project', '=', project)
        .where('deleted_at', 'is not', null)
        .orderBy('deleted_at', 'desc')
        .limit(limit)
        .execute()
      return rows.map((r) => entryFromRow(caps, r as Row))
    },

    async markTrashed(project, id, expectedVersion, at) {
      const subs = await subscribed(project)
      if (outbox && subs.has('mediaLibraryEntry.delete')) {
        return db.transaction().execute(async (trx) => {
          if (!(await trash(trx, project, id, expectedVersion, at))) return false
          await outbox.write(trx, project, [{ event: 'mediaLibraryEntry.delete', mediaId: id }], subs)
          return true
        })
      }
      return trash(db, project, id, expectedVersion, at)
    },

    async purge(project, id, version) {
      const result = await db
        .deleteFrom('media_entries')
        .where('project', '=', project)
        .where('id', '=', id)
        .where('version', '=', version)
        .where('deleted_at', 'is not', null)
        .executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    },
    async getContentSha(project, entryId) {
      const row = await db
        .selectFrom('media_entries')
        .select('content_sha256')
        .where('project', '=', project)
        .where('id', '=', entryId)
        .executeTakeFirst()
      return row?.content_sha256 ?? undefined
    },
    async setContentSha(project, entryId, sha256) {
      await db
        .updateTable('media_entries')
        .set({ content_sha256: sha256 })
        .where('project', '=', project)
        .where('id', '=', entryId)
        .execute()
    },
  }
}
