import type { Database } from './database.js'

import { DUPLICATE_POLICIES, type DuplicatePolicy } from '../media/upload/duplicate-policy.js'

/** What uploads read and write besides entries: the duplicate policy, content hashes, tus uploads in flight. */
export interface UploadRepository {
  duplicatePolicyOf(project: string): Promise<DuplicatePolicy>
  /** Returns false when there is no such project. */
  setDuplicatePolicy(project: string, policy: DuplicatePolicy): Promise<boolean>
  /** sha256 → id of an entry (not in the trash) holding those bytes, for the hashes the project has. */
  entriesBySha(project: string, sha256s: readonly string[]): Promise<Map<string, string>>
  /** Records a resumable upload unless the project's bytes in flight would pass `quota`; whether it did. */
  addTusUpload(
    upload: { id: string; project: string; length: number; expiresAt: Date },
    quota: number,
  ): Promise<boolean>
  getTusUpload(id: string): Promise<{ project: string; length: number } | undefined>
  deleteTusUpload(id: string): Promise<void>
  /** Ids of uploads whose expiry passed. */
  listExpiredTusUploads(now: Date, limit: number): Promise<string[]>
}

export function createUploadRepository({ db, caps }: Database): UploadRepository {
  return {
    async duplicatePolicyOf(project) {
      const row = await db
        .selectFrom('projects')
        .select('duplicate_policy')
        .where('handle', '=', project)
        .executeTakeFirst()
      const policy = row?.duplicate_policy as DuplicatePolicy | undefined
      return policy && DUPLICATE_POLICIES.includes(policy) ? policy : 'skip'
    },
    async setDuplicatePolicy(project, policy) {
      const result = await db
        .updateTable('projects')
        .set({ duplicate_policy: policy })
        .where('handle', '=', project)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },
    async entriesBySha(project, sha256s) {
      const found = new Map<string, string>()
      if (sha256s.length === 0) return found
      const rows = await db
        .selectFrom('media_entries')
        .select(['id', 'content_sha256'])
        .where('project', '=', project)
        .where('content_sha256', 'in', [...sha256s])
        .where('deleted_at', 'is', null)
        .orderBy('seq')
        .execute()
      for (const row of rows) {
        if (row.content_sha256 && !found.has(row.content_sha256)) found.set(row.content_sha256, row.id)
      }
      return found
    },
    async addTusUpload(upload, quota) {
      return db.transaction().execute(async (trx) => {
        // Serialises the project's quota checks: PostgreSQL locks the project row; SQLite has one writer.
        if (caps.name !== 'sqlite') {
          await trx
            .selectFrom('projects')
            .select('handle')
            .where('handle', '=', upload.project)
            .forUpdate()
            .execute()
        }
        const row = await trx
          .selectFrom('tus_uploads')
          .select((eb) => eb.fn.sum<number | string | null>('length').as('total'))
          .where('project', '=', upload.project)
          .executeTakeFirst()
        if (Number(row?.total ?? 0) + upload.length > quota) return false
        await trx
          .insertInto('tus_uploads')
          .values({
            id: upload.id,
            project: upload.project,
            length: upload.length,
            expires_at: caps.toTime(upload.expiresAt),
          })
          .execute()
        return true
      })
    },
    async getTusUpload(id) {
      const row = await db
        .selectFrom('tus_uploads')
        .select(['project', 'length'])
        .where('id', '=', id)
        .executeTakeFirst()
      return row ? { project: row.project, length: Number(row.length) } : undefined
    },
    async deleteTusUpload(id) {
      await db.deleteFrom('tus_uploads').where('id', '=', id).execute()
    },
    async listExpiredTusUploads(now, limit) {
      const rows = await db
        .selectFrom('tus_uploads')
        .select('id')
        .where('expires_at', '<', caps.toTime(now))
        .orderBy('expires_at')
        .limit(limit)
        .execute()
      return rows.map((r) => r.id)
    },
  }
}
