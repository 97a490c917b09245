import type { Database } from './database.js'
import { insertScan } from './source-scan.statements.js'
import type { ScanOptions } from './source-scan.types.js'

/** A source whose scheduled scan is due. */
export interface DueSource {
  project: string
  handle: string
  everyMs: number
  /** `next_scan_at` as read: the compare-and-set's expected value. */
  nextScanAt: string
}

/** Schedules of sources (`sources.rescan_every_ms`, `sources.next_scan_at`, migration 0016). */
export interface SourceScheduleRepository {
  /** Sets (or with null clears) a source's interval; the next scan comes one interval from `now`. */
  set(project: string, handle: string, everyMs: number | null, now: Date): Promise<boolean>
  /** Sources whose scheduled scan is due at `now`, oldest due first. */
  due(now: Date, limit: number): Promise<DueSource[]>
  /**
   * Starts a due source's scan, in one transaction: moves `next_scan_at` from the value read to one interval
   * after `now` (compare-and-set: of two workers that read the same due source, one moves it and the other
   * changes nothing), then, unless a scan of that source is still running, inserts the scan. False when
   * another worker started it, or a scan of the source runs (the source stays due: tried again at the next
   * sweep).
   */
  start(due: DueSource, scan: { id: string; options: ScanOptions }, now: Date): Promise<boolean>
}

class StillRunning extends Error {}

export function createSourceScheduleRepository({ db, caps }: Database): SourceScheduleRepository {
  return {
    async set(project, handle, everyMs, now) {
      const res = await db
        .updateTable('sources')
        .set({
          rescan_every_ms: everyMs,
          next_scan_at: everyMs === null ? null : caps.toTime(new Date(now.getTime() + everyMs)),
        })
        .where('project', '=', project)
        .where('handle', '=', handle)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    },
    async due(now, limit) {
      const rows = await db
        .selectFrom('sources')
        .select(['project', 'handle', 'rescan_every_ms', 'next_scan_at'])
        .where('rescan_every_ms', 'is not', null)
        .where('next_scan_at', '<=', caps.toTime(now))
        .orderBy('next_scan_at')
        .limit(limit)
        .execute()
      return rows.map((r) => ({
        project: r.project,
        handle: r.handle,
        everyMs: Number(r.rescan_every_ms),
        nextScanAt: caps.fromTime(r.next_scan_at),
      }))
    },
    async start(due, scan, now) {
      try {
        return await db.transaction().execute(async (trx) => {
          const moved = await trx
            .updateTable('sources')
            .set({ next_scan_at: caps.toTime(new Date(now.getTime() + due.everyMs)) })
            .where('project', '=', due.project)
            .where('handle', '=', due.handle)
            .where('next_scan_at', '=', caps.toTime(new Date(due.nextScanAt)))
            .executeTakeFirst()
          if (Number(moved.numUpdatedRows) !== 1) return false
          const running = await trx
            .selectFrom('source_scans')
            .select('id')
            .where('project', '=', due.project)
            .where('source', '=', due.handle)
            .where('state', '=', 'running')
            .limit(1)
            .executeTakeFirst()
          // Undo the move: the source stays due until its running scan ends.
          if (running) throw new StillRunning()
          await insertScan(trx, caps, { ...scan, project: due.project, source: due.handle }, now)
          return true
        })
      } catch (err) {
        if (err instanceof StillRunning) return false
        throw err
      }
    },
  }
}
