import { sql } from 'kysely'
import type { Database } from './database.js'

/** Finds entries by the storage key of their main asset (indexed by migration 0003). */
export interface AssetKeyRepository {
  /** The id of the project's entry whose asset has this key, if any. */
  entryIdOfKey(project: string, key: string): Promise<string | undefined>
}

export function createAssetKeyRepository({ db, caps }: Database): AssetKeyRepository {
  // The same expression as the index, so the planner uses it.
  const assetKey = caps.name === 'sqlite' ? sql`json_extract(asset, '$.key')` : sql`(asset->>'key')`
  return {
    async entryIdOfKey(project, key) {
      const row = await db
        .selectFrom('media_entries')
        .select('id')
        .where('project', '=', project)
        .where(sql`${assetKey}`, '=', key)
        // A trashed entry's asset is not served (a purge removes it).
        .where('deleted_at', 'is', null)
        .limit(1)
        .executeTakeFirst()
      return row?.id
    },
  }
}
