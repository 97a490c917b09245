import type { Kysely } from 'kysely'
import type { Database } from './database.js'
import type { DatabaseSchema } from './schema.js'

/** A read-only source of a project (issue #22). */
export interface SourceRecord {
  project: string
  handle: string
  kind: 'disk' | 's3'
  /** The folder (disk) or the bucket (S3). */
  root: string
  /** The S3 prefix and connection options; `{}` for disk. */
  options: Record<string, unknown>
  createdAt: string
  /** The schedule (migration 0016): the interval of rescans and when the next is due; null: none. */
  rescanEveryMs?: number | null
  nextScanAt?: string | null
}

/** What the last scan saw of one object. */
export interface SourceObjectRecord {
  path: string
  size: number
  /** mtime in ms (disk) or the ETag (S3). */
  version: string
  sha256: string | null
  entryId: string | null
  state: 'present' | 'missing'
}

export interface SourceRepository {
  /** Returns false when the project already has a source of that handle. */
  add(source: Omit<SourceRecord, 'createdAt' | 'nextScanAt'>): Promise<boolean>
  get(project: string, handle: string): Promise<SourceRecord | undefined>
  list(project: string): Promise<SourceRecord[]>
  /** Removes the source and what scans recorded of it (its entries stay); false when there was none. */
  remove(project: string, handle: string): Promise<boolean>
  /** Every recorded object of the source, by path. */
  objects(project: string, source: string): Promise<Map<string, SourceObjectRecord>>
  /** The recorded objects among `paths` (one statement per 500 paths), by path. */
  objectsAt(
    project: string,
    source: string,
    paths: readonly string[],
  ): Promise<Map<string, SourceObjectRecord>>
  /** Records (inserts or replaces) objects as seen now. */
  saveObjects(project: string, source: string, objects: readonly SourceObjectRecord[]): Promise<void>
  /** Those of `entryIds` whose source object is missing (index `source_objects_missing`, migration 0017). */
  missingEntryIds(project: string, entryIds: readonly string[]): Promise<string[]>
}

const BATCH = 1000

const toIso = (value: Date | string): string =>
  value instanceof Date ? value.toISOString() : new Date(value).toISOString()

const objectMap = (
  rows: readonly {
    path: string
    size: number | string
    version: string
    sha256: string | null
    entry_id: string | null
    state: 'present' | 'missing'
  }[],
) =>
  new Map(
    rows.map((r): [string, SourceObjectRecord] => [
      r.path,
      {
        path: r.path,
        size: Number(r.size),
        version: r.version,
        sha256: r.sha256,
        entryId: r.entry_id,
        state: r.state,
      },
    ]),
  )

export function createSourceRepository({ db }: Database): SourceRepository {
  const record = (row: {
    project: string
    handle: string
    kind: 'disk' | 's3'
    root: string
    options: string
    created_at: Date | string
    rescan_every_ms: number | string | null
    next_scan_at: Date | string | null
  }): SourceRecord => ({
    project: row.project,
    handle: row.handle,
    kind: row.kind,
    root: row.root,
    options: JSON.parse(row.options) as Record<string, unknown>,
    createdAt: toIso(row.created_at),
    rescanEveryMs: row.rescan_every_ms === null ? null : Number(row.rescan_every_ms),
    nextScanAt: row.next_scan_at === null ? null : toIso(row.next_scan_at),
  })
  return {
    async add(source) {
      const now = new Date()
      const every = source.rescanEveryMs ?? null
      const result = await db
        .insertInto('sources')
        .values({
          project: source.project,
          handle: source.handle,
          kind: source.kind,
          root: source.root,
          options: JSON.stringify(source.options),
          created_at: now.toISOString(),
          rescan_every_ms: every,
          next_scan_at: every === null ? null : new Date(now.getTime() + every).toISOString(),
        })
        .onConflict((oc) => oc.columns(['project', 'handle']).doNothing())
        .executeTakeFirst()
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
    },
    async get(project, handle) {
      const row = await db
        .selectFrom('sources')
        .selectAll()
        .where('project', '=', project)
        .where('handle', '=', handle)
        .executeTakeFirst()
      return row ? record(row) : undefined
    },
    async list(project) {
      const rows = await db
        .selectFrom('sources')
        .selectAll()
        .where('project', '=', project)
        .orderBy('handle')
        .execute()
      return rows.map(record)
    },
    async remove(project, handle) {
      return db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('source_objects')
          .where('project', '=', project)
          .where('source', '=', handle)
          .execute()
        const result = await trx
          .deleteFrom('sources')
          .where('project', '=', project)
          .where('handle', '=', handle)
          .executeTakeFirst()
        return Number(result.numDeletedRows) > 0
      })
    },
    async objects(project, source) {
      const rows = await db
        .selectFrom('source_objects')
        .select(['path', 'size', 'version', 'sha256', 'entry_id', 'state'])
        .where('project', '=', project)
        .where('source', '=', source)
        .execute()
      return objectMap(rows)
    },
    async objectsAt(project, source, paths) {
      const found = new Map<string, SourceObjectRecord>()
      for (let i = 0; i < paths.length; i += BATCH) {
        const rows = await db
          .selectFrom('source_objects')
          .select(['path', 'size', 'version', 'sha256', 'entry_id', 'state'])
          .where('project', '=', project)
          .where('source', '=', source)
          .where('path', 'in', paths.slice(i, i + BATCH))
          .execute()
        for (const [p, o] of objectMap(rows)) found.set(p, o)
      }
      return found
    },
    saveObjects: (project, source, objects) => saveSourceObjects(db, project, source, objects),
    async missingEntryIds(project, entryIds) {
      const missing: string[] = []
      for (let i = 0; i < entryIds.length; i += BATCH) {
        const rows = await db
          .selectFrom('source_objects')
          .select('entry_id')
          .where('project', '=', project)
          .where('state', '=', 'missing')
          .where('entry_id', 'in', entryIds.slice(i, i + BATCH))
          .execute()
        for (const r of rows) if (r.entry_id !== null) missing.push(r.entry_id)
      }
      return missing
    },
  }
}

/**
 * Inserts or replaces objects as seen now, 500 rows a statement (also inside a scan batch's transaction), as
 * seen by the scan numbered `seenSeq` (`source_scans.seq`; 0: by none).
 */
export async function saveSourceObjects(
  db: Kysely<DatabaseSchema>,
  project: string,
  source: string,
  objects: readonly SourceObjectRecord[],
  seenSeq = 0,
): Promise<void> {
  const seenAt = new Date().toISOString()
  for (let i = 0; i < objects.length; i += SAVE_BATCH) {
    const rows = objects.slice(i, i + SAVE_BATCH).map((o) => ({
      project,
      source,
      path: o.path,
      size: o.size,
      version: o.version,
      sha256: o.sha256,
      entry_id: o.entryId,
      state: o.state,
      seen_at: seenAt,
      seen_seq: seenSeq,
    }))
    await db
      .insertInto('source_objects')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['project', 'source', 'path']).doUpdateSet((eb) => ({
          size: eb.ref('excluded.size'),
          version: eb.ref('excluded.version'),
          sha256: eb.ref('excluded.sha256'),
          entry_id: eb.ref('excluded.entry_id'),
          state: eb.ref('excluded.state'),
          seen_at: eb.ref('excluded.seen_at'),
          seen_seq: eb.ref('excluded.seen_seq'),
        })),
      )
      .execute()
  }
}

const SAVE_BATCH = 500

/**
 * Marks recorded objects seen by the scan numbered `seq` (one UPDATE per 1,000 paths, none rewritten twice):
 * how a scan settles its unchanged objects without a result row each; the present objects it did not mark
 * are the vanished ones when it ends.
 */
export async function markObjectsSeen(
  db: Kysely<DatabaseSchema>,
  project: string,
  source: string,
  seq: number,
  paths: readonly string[],
): Promise<void> {
  for (let i = 0; i < paths.length; i += BATCH) {
    await db
      .updateTable('source_objects')
      .set({ seen_seq: seq })
      .where('project', '=', project)
      .where('source', '=', source)
      .where('path', 'in', paths.slice(i, i + BATCH))
      .where('seen_seq', '<', seq)
      .execute()
  }
}
