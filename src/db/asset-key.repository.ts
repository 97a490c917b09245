import { sql } from 'kysely'
import type { MediaEntry } from '../media/entry.js'
import type { Database } from './database.js'
import { entryFromRow, READ_COLUMNS, type Row } from './media-entry.rows.js'

/** Finds entries by the storage key of their main asset (indexed by migration 0003). */
export interface AssetKeyRepository {
  /** The id of the project's entry whose asset has this key, if any. */
  entryIdOfKey(project: string, key: string): Promise<string | undefined>
  /** The project's entry whose asset has this key, if any: the same lookup, one query for the whole row. */
  entryOfKey(project: string, key: string): Promise<MediaEntry | undefined>
}

/** Placeholders of the compiled lookup (no key or project handle can contain NUL). */
const PROJECT = '\u0000project'
const KEY = '\u0000key'

export function createAssetKeyRepository({ db, caps }: Database): AssetKeyRepository {
  // The same expression as the index, so the planner uses it.
  const assetKey = caps.name === 'sqlite' ? sql`json_extract(asset, '$.key')` : sql`(asset->>'key')`
  const byKey = (project: string, key: string) =>
    db
      .selectFrom('media_entries as e')
      .where('project', '=', project)
      .where(sql`${assetKey}`, '=', key)
      // A trashed entry's asset is not served (a purge removes it).
      .where('deleted_at', 'is', null)
      .limit(1)
  const entryOfKeyQuery = byKey(PROJECT, KEY).select(READ_COLUMNS).compile()
  if (
    entryOfKeyQuery.parameters.filter((p) => p === PROJECT).length !== 1 ||
    entryOfKeyQuery.parameters.filter((p) => p === KEY).length !== 1
  )
    throw new Error('entryOfKey: the compiled query must hold the project and the key once each')
  return {
    async entryIdOfKey(project, key) {
      const row = await byKey(project, key).select('id').executeTakeFirst()
      return row?.id
    },
    async entryOfKey(project, key) {
      // Built and compiled once: this lookup runs for every served file and variant, and Kysely's builder
      // and compiler cost about as much as the query itself. Only the two values change.
      const parameters = entryOfKeyQuery.parameters.map((p) =>
        p === PROJECT ? project : p === KEY ? key : p,
      )
      const { rows } = await db.executeQuery<Row>({ ...entryOfKeyQuery, parameters })
      return rows[0] ? entryFromRow(caps, rows[0]) : undefined
    },
  }
}
