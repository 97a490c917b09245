import type { MediaEntry } from '../media/entry.js'
import type { Database } from './database.js'
import { retryTransient } from './retry.js'
import type { MediaEntryTable } from './schema.js'

type Row = Omit<MediaEntryTable, 'asset' | 'metadata' | 'translations' | 'created_at' | 'updated_at'> & {
  asset: unknown
  metadata: unknown
  translations: unknown
  created_at: unknown
  updated_at: unknown
}

const COLUMNS_PER_ROW = 11

/** The key whose unique index an entry contends on: (systemName, externalId) when set, else the id. */
const lockKey = (e: MediaEntry) =>
  e.externalId !== undefined ? `x\u0000${e.systemName}\u0000${e.externalId}` : `i\u0000${e.id}`
const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The outcome of inserting a batch: which entries landed and which collided with stored ones. */
export interface InsertOutcome {
  inserted: Set<string>
  /** Ids of entries not inserted because the id is taken in the project. */
  idTaken: Set<string>
  /** Ids of entries not inserted because their (systemName, externalId) is taken. */
  externalIdTaken: Set<string>
}

export interface MediaEntryRepository {
  /**
   * Inserts new entries in one transaction with multi-row `INSERT … ON CONFLICT DO NOTHING`.
   * Uniqueness is the database's: an entry that collides is skipped, then classified by lookup.
   * The caller guarantees the batch has no duplicate ids or externalIds of its own.
   */
  insertNew(project: string, entries: readonly MediaEntry[]): Promise<InsertOutcome>
  get(project: string, id: string): Promise<MediaEntry | undefined>
  listByIds(project: string, ids: readonly string[]): Promise<MediaEntry[]>
  listByExternalIds(
    project: string,
    systemName: string,
    externalIds: readonly string[],
  ): Promise<MediaEntry[]>
}

export function createMediaEntryRepository({ db, caps }: Database): MediaEntryRepository {
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
    created_at: caps.toTime(new Date(e.createdAt)),
    updated_at: caps.toTime(new Date(e.updatedAt)),
  })

  const fromRow = (row: Row): MediaEntry => {
    const entry: MediaEntry = {
      id: row.id,
      version: Number(row.version),
      mediaType: row.media_type,
      asset: caps.fromJson(row.asset) as MediaEntry['asset'],
      metadata: caps.fromJson(row.metadata) as MediaEntry['metadata'],
      createdAt: caps.fromTime(row.created_at),
      updatedAt: caps.fromTime(row.updated_at),
    }
    if (row.system_name !== null) entry.systemName = row.system_name
    if (row.external_id !== null) entry.externalId = row.external_id
    if (row.translations !== null)
      entry.translations = caps.fromJson(row.translations) as MediaEntry['translations']
    return entry
  }

  const chunkSize = Math.floor(caps.maxBindParams / COLUMNS_PER_ROW)
  const lookupChunk = Math.floor(caps.maxBindParams / 2)

  return {
    async insertNew(project, entries) {
      const outcome: InsertOutcome = { inserted: new Set(), idTaken: new Set(), externalIdTaken: new Set() }
      if (entries.length === 0) return outcome
      // Rows go in key order, so two overlapping batches lock keys in the same order; a deadlock that
      // remains (an entry with both keys crossing another) rolls the transaction back and runs again.
      const ordered = [...entries].sort((a, b) => compareKeys(lockKey(a), lockKey(b)))
      await retryTransient(caps, () =>
        db.transaction().execute(async (trx) => {
          outcome.inserted.clear()
          outcome.idTaken.clear()
          outcome.externalIdTaken.clear()
          for (let i = 0; i < ordered.length; i += chunkSize) {
            const rows = ordered.slice(i, i + chunkSize).map((e) => toRow(project, e))
            const returned = await trx
              .insertInto('media_entries')
              .values(rows)
              .onConflict((oc) => oc.doNothing())
              .returning('id')
              .execute()
            for (const r of returned) outcome.inserted.add(r.id)
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
        }),
      )
      return outcome
    },

    async get(project, id) {
      const row = await db
        .selectFrom('media_entries')
        .selectAll()
        .where('project', '=', project)
        .where('id', '=', id)
        .executeTakeFirst()
      return row ? fromRow(row as Row) : undefined
    },

    async listByIds(project, ids) {
      if (ids.length === 0) return []
      const rows = await db
        .selectFrom('media_entries')
        .selectAll()
        .where('project', '=', project)
        .where('id', 'in', [...ids])
        .execute()
      return rows.map((r) => fromRow(r as Row))
    },

    async listByExternalIds(project, systemName, externalIds) {
      if (externalIds.length === 0) return []
      const rows = await db
        .selectFrom('media_entries')
        .selectAll()
        .where('project', '=', project)
        .where('system_name', '=', systemName)
        .where('external_id', 'in', [...externalIds])
        .execute()
      return rows.map((r) => fromRow(r as Row))
    },
  }
}
