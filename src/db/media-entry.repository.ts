// The media entry repository: its interface, and its reads. The batch insert is in media-entry-insert.ts,
// the version-guarded updates and the trash move in media-entry-lifecycle.ts; they share per-instance
// state through a MediaEntryContext. Row mapping and the version-guarded writes are in media-entry.rows.ts,
// media-entry-writes.ts; the search and sort SQL in media-entry-search/-sorted.ts.
import { sql } from 'kysely'
import type { MediaEntry } from '../media/entry.js'
import type { Database, Db } from './database.js'
import { entryFromRow, READ_COLUMNS, type Row } from './media-entry.rows.js'
import { searchRows, type EntrySearch } from './media-entry-search.js'
import { countRows, rankedRows, sortedRows, type EntryCount } from './media-entry-sorted.js'
import type { EntryOutbox } from './entry-event.repository.js'
import { COLUMNS_PER_ROW, createInsertNew, type InsertOutcome } from './media-entry-insert.js'
import { createLifecycleWrites } from './media-entry-lifecycle.js'
import { updateSlices, valuesTable } from './update-from-values.js'
import type { MediaEntryContext } from './media-entry.context.js'

export type { EntrySearch } from './media-entry-search.js'
export type { EntryCount } from './media-entry-sorted.js'
export type { InsertOutcome } from './media-entry-insert.js'

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
  /** `setContentSha` for several entries, one statement per 500. */
  setContentShas(project: string, rows: readonly { id: string; sha256: string }[]): Promise<void>
}

const NO_SUBSCRIPTIONS: ReadonlySet<string> = new Set()

const setSha = (db: Db, project: string, id: string, sha256: string) =>
  db
    .updateTable('media_entries')
    .set({ content_sha256: sha256 })
    .where('project', '=', project)
    .where('id', '=', id)
    .execute()

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
  const chunkSize = Math.floor(caps.maxBindParams / COLUMNS_PER_ROW)
  const lookupChunk = Math.floor(caps.maxBindParams / 2)
  const columns = sql.join(READ_COLUMNS.map((c) => sql.ref(`e.${c}`)))
  const ctx: MediaEntryContext = { database, db, caps, outbox, subscribed, chunkSize, lookupChunk }
  const lifecycle = createLifecycleWrites(ctx)

  return {
    insertNew: createInsertNew(ctx),

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

    updateIfVersion: lifecycle.updateIfVersion,
    updateAllIfVersion: lifecycle.updateAllIfVersion,

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

    markTrashed: lifecycle.markTrashed,

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
      await setSha(db, project, entryId, sha256)
    },
    async setContentShas(project, rows) {
      // One statement per slice (each hash stands alone: it only lets an unchanged re-import be skipped).
      for (const slice of updateSlices(rows)) {
        const v = valuesTable(
          caps,
          ['text', 'text'],
          slice.map(({ id, sha256 }) => [id, sha256]),
        )
        await sql`update media_entries set content_sha256 = v.column2 from ${v}
          where media_entries.project = ${project} and media_entries.id = v.column1`.execute(db)
      }
    },
  }
}
