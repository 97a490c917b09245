import { FileStore } from '@tus/file-store'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import type { Config } from './config.js'
import type { Database } from './db/database.js'
import { createUploadRepository } from './db/upload.repository.js'
import { processTmpDir, sweepTmpDir } from './jobs/tmp-dir.js'
import { assetUrlOf } from './storage/asset-url.js'
import type { ProjectStorage } from './storage/project-storage.js'
import type { ImportService } from './media/import.service.js'
import type { LibraryService } from './media/library.service.js'
import type { CompiledMediaType } from './media/media-types/metadata-validator.js'
import {
  createUploadService,
  type TusUploadRegistry,
  type UploadService,
} from './media/upload/upload.service.js'

/** What uploads add to the dependencies (issue #18). */

export interface UploadDeps {
  uploads: UploadService
  /** The resumable uploads in flight, for the tus routes. */
  tusUploads: TusUploadRegistry
  /** Where unfinished resumable uploads wait (survives restarts): `<dataDir>/uploads/tus`. */
  tusStore: FileStore
  /** Removes expired resumable uploads and what killed processes left in the temp directory. */
  cleanUpUploads(now?: Date): Promise<number>
}

export function createUploadDeps(
  config: Config,
  database: Database,
  services: {
    blobs: ProjectStorage
    importer: ImportService
    library: LibraryService
    mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
    setContentShas(project: string, rows: readonly { id: string; sha256: string }[]): Promise<void>
  },
): UploadDeps {
  const repository = createUploadRepository(database)
  const tmpRoot = path.join(config.dataDir, 'tmp', 'upload')
  const tusStore = new FileStore({
    directory: path.join(config.dataDir, 'uploads', 'tus'),
    expirationPeriodInMilliseconds: config.upload.tusExpiryMinutes * 60_000,
  })
  const uploads = createUploadService({
    ...services,
    uploads: repository,
    tmpDir: processTmpDir(tmpRoot),
    assetUrl: (key) => assetUrlOf(config, key),
    maxFileBytes: config.upload.maxFileBytes,
  })
  return {
    uploads,
    tusUploads: repository,
    tusStore,
    async cleanUpUploads(now = new Date()) {
      let removed = 0
      for (;;) {
        const expired = await repository.listExpiredTusUploads(now, 100)
        for (const id of expired) {
          await tusStore.remove(id).catch(() => undefined)
          // FileStore.remove leaves nothing when the upload is gone; its files may remain when it failed.
          const dir = path.join(config.dataDir, 'uploads', 'tus')
          await rm(path.join(dir, id), { force: true })
          await rm(path.join(dir, `${id}.json`), { force: true })
          await repository.deleteTusUpload(id)
          removed++
        }
        if (expired.length < 100) break
      }
      await sweepTmpDir(tmpRoot)
      return removed
    },
  }
}
