import type { EntryState } from '../media/entry.js'
import type { Database } from './database.js'

export interface DeletionCandidateQuery {
  project: string
  mediaType: string
  createdBefore: Date
  state?: EntryState
  limit: number
}

/** The entries a deletion routine would move to the trash. */
export interface DeletionRoutineRepository {
  /**
   * Ids of the project's entries of `mediaType` created before `createdBefore`, unused (`used = 0`, the
   * index of the `used` filter), not in the trash, not stored in archive, in `state` when given; oldest
   * first, at most `limit`.
   */
  listCandidates(query: DeletionCandidateQuery): Promise<string[]>
}

export function createDeletionRoutineRepository(database: Database): DeletionRoutineRepository {
  const { db, caps } = database
  return {
    async listCandidates({ project, mediaType, createdBefore, state, limit }) {
      let query = db
        .selectFrom('media_entries')
        .select('id')
        .where('project', '=', project)
        .where('used', '=', 0)
        .where('media_type', '=', mediaType)
        .where('created_at', '<', caps.toTime(createdBefore))
        .where('deleted_at', 'is', null)
        .where('stored_in_archive_at', 'is', null)
      if (state === 'archived') query = query.where('archived_at', 'is not', null)
      if (state === 'revoked')
        query = query.where('archived_at', 'is', null).where('revoked_at', 'is not', null)
      if (state === 'active') query = query.where('archived_at', 'is', null).where('revoked_at', 'is', null)
      const rows = await query.orderBy('seq').limit(limit).execute()
      return rows.map((r) => r.id)
    },
  }
}
