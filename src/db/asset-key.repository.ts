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
  return {
    async entryIdOfKey(project, key) {
      const row = await byKey(project, key).select('id').executeTakeFirst()
      return row?.id
    },
    async entryOfKey(project, key) {
      const row = await byKey(project, key).select(READ_COLUMNS).executeTakeFirst()
      return row ? entryFromRow(caps, row as Row) : undefined
    },
  }
}
