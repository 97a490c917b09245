// The media entry repository's version-guarded updates and its move to the trash, each writing its entry
// events to the outbox in its transaction (split from media-entry.repository.ts, issue #21).
import type { MediaEntry } from '../media/entry.js'
import type { Db } from './database.js'
import { unnestUpdate, writeIfVersion } from './media-entry-writes.js'
import { entryFromRow, READ_COLUMNS, type Row } from './media-entry.rows.js'
import { eventsOfWrite } from '../events/entry-events.js'
import { compareKeys } from './media-entry-insert.js'
import type { MediaEntryContext } from './media-entry.context.js'

/** The repository's `updateIfVersion`, `updateAllIfVersion` and `markTrashed` (see MediaEntryRepository). */
export function createLifecycleWrites(ctx: MediaEntryContext) {
  const { db, caps, outbox, subscribed, lookupChunk } = ctx
  const fromRow = (row: Row) => entryFromRow(caps, row)

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

  return {
    async updateIfVersion(project: string, entry: MediaEntry, expectedVersion: number): Promise<boolean> {
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

    async updateAllIfVersion(
      project: string,
      writes: readonly { entry: MediaEntry; expectedVersion: number }[],
    ): Promise<boolean> {
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

    async markTrashed(project: string, id: string, expectedVersion: number, at: Date): Promise<boolean> {
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
  }
}
