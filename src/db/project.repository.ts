import type { MediaTypeConfig } from '../media/media-types/media-type.js'
import type { UsagePurpose } from '../media/usage-log.js'
import type { Database } from './database.js'

export interface ProjectRow {
  handle: string
  mediaTypes: MediaTypeConfig[]
  createdAt: string
  /** The project's usage purposes (migration 0007): `web` unless set otherwise. */
  usagePurposes: UsagePurpose[]
}

export interface ProjectRepository {
  /** Inserts the project; returns false when the handle is taken. */
  create(handle: string, mediaTypes: MediaTypeConfig[]): Promise<boolean>
  get(handle: string): Promise<ProjectRow | undefined>
  /** Projects by handle; the first `limit` of them when given. */
  list(limit?: number): Promise<ProjectRow[]>
  /** Replaces the project's media types; returns false when there is no such project. */
  updateMediaTypes(handle: string, mediaTypes: MediaTypeConfig[]): Promise<boolean>
  /** Replaces the project's usage purposes; returns false when there is no such project. */
  updateUsagePurposes(handle: string, purposes: UsagePurpose[]): Promise<boolean>
}

export function createProjectRepository({ db, caps }: Database): ProjectRepository {
  const fromRow = (row: {
    handle: string
    media_types: unknown
    created_at: unknown
    usage_purposes: unknown
  }): ProjectRow => ({
    handle: row.handle,
    mediaTypes: caps.fromJson(row.media_types) as MediaTypeConfig[],
    createdAt: caps.fromTime(row.created_at),
    usagePurposes: caps.fromJson(row.usage_purposes) as UsagePurpose[],
  })
  /** Sets JSON columns of one project; whether the project exists. */
  const setJson = async (handle: string, values: { media_types: string } | { usage_purposes: string }) => {
    const result = await db
      .updateTable('projects')
      .set(values)
      .where('handle', '=', handle)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  }
  return {
    async create(handle, mediaTypes) {
      const inserted = await db
        .insertInto('projects')
        .values({ handle, media_types: JSON.stringify(mediaTypes), created_at: caps.toTime(new Date()) })
        .onConflict((oc) => oc.column('handle').doNothing())
        .returning('handle')
        .executeTakeFirst()
      return inserted !== undefined
    },
    async get(handle) {
      const row = await db.selectFrom('projects').selectAll().where('handle', '=', handle).executeTakeFirst()
      return row ? fromRow(row) : undefined
    },
    async list(limit) {
      let query = db.selectFrom('projects').selectAll().orderBy('handle')
      if (limit !== undefined) query = query.limit(limit)
      return (await query.execute()).map(fromRow)
    },
    updateMediaTypes: (handle, mediaTypes) => setJson(handle, { media_types: JSON.stringify(mediaTypes) }),
    updateUsagePurposes: (handle, purposes) => setJson(handle, { usage_purposes: JSON.stringify(purposes) }),
  }
}
