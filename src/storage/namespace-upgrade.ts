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
  /** Keys moved at once (default 8). */
  concurrency?: number
}): Promise<NamespaceUpgradeReport | undefined> {
  const { layout, legacy, storage } = deps
  if (!(await layout.isLegacy())) return undefined
  const report: NamespaceUpgradeReport = { moved: 0, absent: 0, unmovable: 0, thumbnailsRemoved: 0 }
  /** Moves one key to the first of its projects (in insertion order) that finds it; later ones get nothing. */
  const moveKey = async (key: string, projects: string[]) => {
    if (keyProblem(key) !== undefined) {
      report.unmovable += projects.length
      return
    }
    for (const project of projects) {
      const files = storage.files(project)
      if (await files.stat(key)) {
        // Copied before a crash (or named by two entries of this project): finish the move.
        await legacy.delete(key)
        continue
      }
      const body = (await legacy.stat(key)) && (await legacy.get(key))
      if (!body) {
        report.absent++
        continue
      }
      await files.put(key, body)
      await legacy.delete(key)
      report.moved++
    }
  }
  let after = 0
  for (;;) {
    const page = await layout.referencesAfter(after, deps.batch ?? 500)
    if (page.length === 0) break
    // Keys in parallel, each key's entries in insertion order (pages run one after the other, so the
    // first entry that names a key is always served first).
    const byKey = new Map<string, string[]>()
    for (const ref of page) {
      for (const key of ref.keys) byKey.set(key, [...(byKey.get(key) ?? []), ref.project])
    }
    const keys = [...byKey]
    let failure: { err: unknown } | undefined
    // Every move in progress ends before an error is thrown: nothing runs on after the upgrade gave up.
    await Promise.all(
      Array.from({ length: Math.min(deps.concurrency ?? 8, keys.length) }, async () => {
        for (let next = keys.pop(); next && !failure; next = keys.pop()) {
          await moveKey(next[0], next[1]).catch((err: unknown) => {
            failure ??= { err }
          })
        }
      }),
    )
    if (failure) throw failure.err
    after = page[page.length - 1]!.seq
  }
  for (const key of await legacy.list('v/')) {
    await legacy.delete(key)
    report.thumbnailsRemoved++
  }
  await layout.markNamespaced()
  return report
}
