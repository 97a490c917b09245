import type { AssetKeyRepository } from '../db/asset-key.repository.js'
import type { MediaEntryRepository } from '../db/media-entry.repository.js'
import { ConflictError, entryNotFound } from '../errors.js'
import type { ProjectStorage } from '../storage/project-storage.js'
import type { MediaEntry } from './entry.js'
import { variantPrefix } from './thumbnail.service.js'

/**
 * Delete with a trash (issue #16): a deleted entry is hidden from reads and searches, keeps its id and
 * (systemName, externalId), can be restored (PATCH `restore`) for `trashDays`, and is then purged with
 * its original and derived files.
 */
export interface TrashService {
  /**
   * Moves the entry to the trash. NotFoundError when there is no such (untrashed) entry; ConflictError
   * (`ConflictError`) naming the reason when it has usage-log entries or is stored in archive.
   */
  delete(project: string, id: string): Promise<void>
  /** The project's trashed entries, most recently deleted first. */
  list(project: string, limit?: number): Promise<MediaEntry[]>
  /**
   * Purges every entry (of every project) whose trash time ran out: its files (main, translated, replaced
   * and removed assets, unless another entry's main asset uses the key), its thumbnails, then the row.
   * Returns how many entries were purged. `olderThanDays` overrides `trashDays` (0: the whole trash).
   */
  purgeExpired(options?: { olderThanDays?: number }): Promise<number>
}

const WRITE_ATTEMPTS = 5
const PURGE_BATCH = 100

export function createTrashService(deps: {
  entries: MediaEntryRepository
  assetKeys: AssetKeyRepository
  blobs: Pick<ProjectStorage, 'files' | 'derived'>
  trashDays: number
  now?: () => Date
}): TrashService {
  const { entries, assetKeys, blobs } = deps
  const now = deps.now ?? (() => new Date())

  const keysOf = (entry: MediaEntry) => {
    const keys = new Set<string>([entry.asset.key])
    for (const t of entry.translations ?? []) if (t.asset) keys.add(t.asset.key)
    for (const key of entry.formerKeys ?? []) keys.add(key)
    return [...keys]
  }

  const removeFiles = async (project: string, entry: MediaEntry) => {
    const files = blobs.files(project)
    const derived = blobs.derived(project)
    for (const key of keysOf(entry)) {
      for (const variant of await derived.list(variantPrefix(key))) await derived.delete(variant)
      // A key another live entry still shows as its asset stays.
      if ((await assetKeys.entryIdOfKey(project, key)) === undefined) await files.delete(key)
    }
  }

  return {
    async delete(project, id) {
      for (let attempt = 1; ; attempt++) {
        const stored = await entries.get(project, id)
        if (!stored) {
          throw entryNotFound(id)
        }
        const uses = stored.usageLog?.length ?? 0
        if (uses > 0) {
          throw new ConflictError(
            `The entry cannot be deleted: it has ${uses} usage log ${uses === 1 ? 'entry' : 'entries'} (id: '${id}')`,
            'ConflictError',
          )
        }
        if (stored.storedInArchiveAt !== undefined) {
          throw new ConflictError(
            `The entry cannot be deleted: it is stored in archive (protected; id: '${id}')`,
            'ConflictError',
          )
        }
        if (await entries.markTrashed(project, id, stored.version, now())) return
        if (attempt >= WRITE_ATTEMPTS) {
          throw new ConflictError(`The entry changed while it was being deleted (id: '${id}'); try again`)
        }
      }
    },

    list: (project, limit = 1000) => entries.listTrash(project, limit),

    async purgeExpired(options) {
      const days = options?.olderThanDays ?? deps.trashDays
      const before = new Date(now().getTime() - days * 86_400_000)
      let purged = 0
      for (;;) {
        const batch = await entries.listTrashedBefore(before, PURGE_BATCH)
        let progressed = false
        for (const { project, entry } of batch) {
          // The row goes first (guarded by its version, so a restore that came in between wins), then
          // the files: a crash in between leaves files without an entry, never an entry without files.
          if (!(await entries.purge(project, entry.id, entry.version))) continue
          await removeFiles(project, entry)
          purged++
          progressed = true
        }
        // A batch whose rows all changed under us (restored meanwhile) would come back: stop there.
        if (batch.length < PURGE_BATCH || !progressed) return purged
      }
    },
  }
}
