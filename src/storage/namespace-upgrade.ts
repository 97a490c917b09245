import type { StorageLayoutRepository } from '../db/storage-layout.repository.js'
import type { BlobStore } from './blob-store.js'
import { keyProblem } from './key.js'
import type { ProjectStorage } from './project-storage.js'

export interface NamespaceUpgradeReport {
  /** Blobs moved into their project's namespace. */
  moved: number
  /** Keys an entry names whose blob is in neither layout (never stored, or another project owns it). */
  absent: number
  /** Keys outside the key grammar: nothing can serve them, so they stay where they were. */
  unmovable: number
  /** Cached thumbnails of the old layout (`v/…`) removed; they are made again on demand. */
  thumbnailsRemoved: number
}

/**
 * Moves the blobs of the layout before project namespaces (one flat key space) into each project's
 * namespace, once, at start. A key goes to the project of the first entry (in insertion order) that
 * names it: a URL import stores its blob under a fresh random key and creates its entry right after, so
 * that entry is first; an entry of another project that named the same key later gets nothing (that is
 * the hole the namespaces close). Each blob is copied, then the old copy deleted, so a crash midway
 * loses nothing: the next start resumes (a copy already in place is not made again). Old thumbnails
 * (`v/…`) are deleted. Blobs no entry names are left where they were.
 */
export async function upgradeToProjectNamespaces(deps: {
  layout: StorageLayoutRepository
  legacy: BlobStore
  storage: ProjectStorage
  batch?: number
}): Promise<NamespaceUpgradeReport | undefined> {
  const { layout, legacy, storage } = deps
  if (!(await layout.isLegacy())) return undefined
  const report: NamespaceUpgradeReport = { moved: 0, absent: 0, unmovable: 0, thumbnailsRemoved: 0 }
  let after = 0
  for (;;) {
    const page = await layout.referencesAfter(after, deps.batch ?? 500)
    if (page.length === 0) break
    for (const ref of page) {
      const files = storage.files(ref.project)
      for (const key of ref.keys) {
        if (keyProblem(key) !== undefined) {
          report.unmovable++
          continue
        }
        if (await files.stat(key)) {
          // Copied before a crash (or shared by two entries of this project): finish the move.
          await legacy.delete(key)
          continue
        }
        const stat = await legacy.stat(key)
        const body = stat && (await legacy.get(key))
        if (!body) {
          report.absent++
          continue
        }
        await files.put(key, body)
        await legacy.delete(key)
        report.moved++
      }
      after = ref.seq
    }
  }
  for (const key of await legacy.list('v/')) {
    await legacy.delete(key)
    report.thumbnailsRemoved++
  }
  await layout.markNamespaced()
  return report
}
