import { Readable } from 'node:stream'
import type { ImageVariantRepository } from '../db/image-variant.repository.js'
import { readBlob } from '../storage/blob-store.js'
import type { ProjectStorage } from '../storage/project-storage.js'

/**
 * The variant cache: files in each project's derived namespace, with a size-and-last-access row per file
 * in the database (`image_variants`), so every server process shares one bound and one LRU order.
 * - A hit refreshes the row's last access at most once a minute per process (a write per hit would cost
 *   more than serving the bytes).
 * - A store over `maxBytes` removes the least recently used variants until it is under 90 % of it.
 * - A file whose row is gone (evicted by another process meanwhile) is still served until it is gone too.
 */
export interface VariantCache {
  get(project: string, key: string): Promise<Buffer | undefined>
  put(project: string, key: string, body: Buffer, contentType: string): Promise<void>
}

const TOUCH_EVERY_MS = 60_000
/** How long a summed total of the cache's size is trusted (plus this process's own stores). */
const TOTAL_EVERY_MS = 5_000
/** The in-memory tier in front of the files: hot variants, bounded in bytes (least recently used go first). */
export const VARIANT_MEMORY_BYTES = 16 * 1024 * 1024

export function createVariantCache(deps: {
  blobs: Pick<ProjectStorage, 'derived'>
  repository: Pick<ImageVariantRepository, 'record' | 'touch' | 'totalBytes' | 'oldest' | 'forget'>
  maxBytes: number
  /** The in-memory tier's bound (default VARIANT_MEMORY_BYTES; 0 turns it off). */
  memoryBytes?: number
  now?: () => number
  onError?: (err: unknown) => void
}): VariantCache {
  const { blobs, repository } = deps
  const now = deps.now ?? Date.now
  const touched = new Map<string, number>()
  const memoryBytes = deps.memoryBytes ?? VARIANT_MEMORY_BYTES
  // Insertion order is recency order: a hit moves its variant to the end, the front goes first.
  const memory = new Map<string, Buffer>()
  let memoryUsed = 0
  const forgetInMemory = (slot: string) => {
    const body = memory.get(slot)
    if (!body) return
    memory.delete(slot)
    memoryUsed -= body.length
  }
  const keepInMemory = (slot: string, body: Buffer) => {
    forgetInMemory(slot)
    if (body.length > memoryBytes / 8) return
    memory.set(slot, body)
    memoryUsed += body.length
    for (const [oldest] of memory) {
      if (memoryUsed <= memoryBytes) break
      forgetInMemory(oldest)
    }
  }
  let evicting: Promise<void> | undefined
  /**
   * The cache's total size as last summed from the database, plus what this process stored since. The sum
   * (a scan of every row) is taken again once TOTAL_EVERY_MS has passed, so a store costs no scan while the
   * cache is under its bound; what other processes stored meanwhile is counted at the next sum.
   */
  let estimate: { total: number; at: number } | undefined

  const evict = async (added: number) => {
    if (estimate && now() - estimate.at < TOTAL_EVERY_MS) {
      estimate.total += added
      if (estimate.total <= deps.maxBytes) return
    }
    let total = await repository.totalBytes()
    estimate = { total, at: now() }
    const target = Math.floor(deps.maxBytes * 0.9)
    if (total <= deps.maxBytes) return
    while (total > target) {
      const oldest = await repository.oldest(64)
      if (oldest.length === 0) return
      for (const v of oldest) {
        await blobs.derived(v.project).delete(v.key)
        await repository.forget(v.project, v.key)
        touched.delete(`${v.project}/${v.key}`)
        forgetInMemory(`${v.project}/${v.key}`)
        total -= v.bytes
        estimate.total = total
        if (total <= target) return
      }
    }
  }

  return {
    async get(project, key) {
      const slot = `${project}/${key}`
      let body = memory.get(slot)
      if (body) {
        // Most recently used again.
        memory.delete(slot)
        memory.set(slot, body)
      } else {
        body = await readBlob(blobs.derived(project), key)
        if (!body) return undefined
        keepInMemory(slot, body)
      }
      const t = now()
      if (t - (touched.get(slot) ?? 0) >= TOUCH_EVERY_MS) {
        touched.set(slot, t)
        if (touched.size > 100_000) touched.clear()
        repository.touch(project, [key], t).catch((err: unknown) => deps.onError?.(err))
      }
      return body
    },
    async put(project, key, body, contentType) {
      await blobs.derived(project).put(key, Readable.from([body]), { contentType })
      const t = now()
      await repository.record({ project, key, bytes: body.length }, t)
      touched.set(`${project}/${key}`, t)
      keepInMemory(`${project}/${key}`, body)
      // One eviction at a time per process; the next store checks again.
      if (!evicting) {
        evicting = evict(body.length).finally(() => (evicting = undefined))
      } else if (estimate) estimate.total += body.length
      await evicting
    },
  }
}
