import type { Readable } from 'node:stream'
import type { AssetKeyRepository } from '../db/asset-key.repository.js'
import { NotFoundError } from '../errors.js'
import type { BlobStat, ByteRange } from '../storage/blob-store.js'
import { keyProblem } from '../storage/key.js'
import type { ProjectStorage } from '../storage/project-storage.js'
import type { MediaEntry } from './entry.js'
import type { LibraryService } from './library.service.js'
import type { CompiledMediaType } from './media-types/metadata-validator.js'
import { isWithheld, withheldError } from './withheld.js'

/** A stored original, found by its key, with the entry that holds it. */
export interface StoredOriginal {
  entry: MediaEntry
  stat: BlobStat
  /** The bytes (or a range of them); undefined when the blob went away since `stat`. */
  read(range?: ByteRange): Promise<Readable | undefined>
}

/**
 * Opens the files of entries for serving, with the rule that withholds a revoked or `li-invalid` entry's
 * files (403). Serving itself (headers, ranges, passive replies) stays in the HTTP layer.
 */
export interface FileService {
  /**
   * The project's original stored under `key` (never another project's: only the caller's namespace is
   * read). NotFoundError for a key no live entry holds or whose blob is missing; 403 when withheld.
   */
  openOriginal(project: string, key: string): Promise<StoredOriginal>
  /**
   * The entry whose derived files (thumbnails) are asked for. 403 when withheld, unless `showWithheld`
   * (the UI's cookie session shows editors what they revoked). NotFoundError for an unknown id.
   */
  entryForDerived(project: string, id: string, options: { showWithheld: boolean }): Promise<MediaEntry>
}

const notFound = () => new NotFoundError({ message: 'No image found.' })

export function createFileService(deps: {
  assetKeys: AssetKeyRepository
  library: Pick<LibraryService, 'getOrFail'>
  mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  blobs: Pick<ProjectStorage, 'files'>
}): FileService {
  const failIfWithheld = async (project: string, entry: MediaEntry) => {
    if (isWithheld(entry, (await deps.mediaTypesOf(project)).get(entry.mediaType))) throw withheldError()
  }
  return {
    async openOriginal(project, key) {
      // No entry can hold a key outside the grammar.
      if (keyProblem(key) !== undefined) throw notFound()
      const entry = await deps.assetKeys.entryOfKey(project, key)
      if (!entry) throw notFound()
      await failIfWithheld(project, entry)
      // Only the caller's project namespace: another project's blob under the same key is not reachable.
      const blobs = deps.blobs.files(project)
      const stat = await blobs.stat(key)
      if (!stat) throw notFound()
      return { entry, stat, read: (range) => blobs.get(key, range) }
    },
    async entryForDerived(project, id, { showWithheld }) {
      const entry = await deps.library.getOrFail(project, id)
      if (!showWithheld) await failIfWithheld(project, entry)
      return entry
    },
  }
}
