import { Readable } from 'node:stream'
import type { ImageVariantRepository } from '../db/image-variant.repository.js'
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

/** A stream's bytes in one Buffer: the chunks concatenated once (stream/consumers' `buffer` goes through a Blob, a copy more). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}

export function createVariantCache(deps: {
  blobs: Pick<ProjectStorage, 'derived'>
  repository: Pick<ImageVariantRepository, 'record' | 'touch' | 'totalBytes' | 'oldest' | 'forget'>
  maxBytes: number
  now?: () => number
  onError?: (err: unknown) => void
}): VariantCache {
  const { blobs, repository } = deps
  const now = deps.now ?? Date.now
  const touched = new Map<string, number>()
  let evicting: Promise<void> | undefined

  const evict = async () => {
    let total = await repository.totalBytes()
    const target = Math.floor(deps.maxBytes * 0.9)
    if (total <= deps.maxBytes) return
    while (total > target) {
      const oldest = await repository.oldest(64)
      if (oldest.length === 0) return
      for (const v of oldest) {
        await blobs.derived(v.project).delete(v.key)
        await repository.forget(v.project, v.key)
        touched.delete(`${v.project}/${v.key}`)
        total -= v.bytes
        if (total <= target) return
      }
    }
  }

  return {
    async get(project, key) {
      const stream = await blobs.derived(project).get(key)
      if (!stream) return undefined
      const body = await readAll(stream)
      const slot = `${project}/${key}`
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
      // One eviction at a time per process; the next store checks again.
      if (!evicting) {
        evicting = evict().finally(() => (evicting = undefined))
      }
      await evicting
    },
  }
}
