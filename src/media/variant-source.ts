import { createHash, randomUUID } from 'node:crypto'
import { mkdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { notFound } from '../errors.js'
import type { SafeFetcher } from '../jobs/safe-fetcher.js'
import type { ProjectStorage } from '../storage/project-storage.js'
import type { MediaEntry } from './entry.js'
import { readBlob } from '../storage/blob-store.js'
import type { VariantCache } from './variant-cache.js'

/** An original to make variants from: a tag that changes whenever its bytes do, and the bytes. */
export interface VariantSource {
  /** Changes with the bytes: the store's strong validator of the original (or of the fetched copy). */
  tag: string
  lastModified: Date
  read(): Promise<Buffer>
  /**
   * What to render from: the path of the local file that holds the original where the store has one (libvips
   * decodes it straight from the file, without a copy through the JS heap), else its bytes.
   */
  input(): Promise<Buffer | string>
}

export interface VariantSources {
  /**
   * The entry's original: from the project's storage, or (external previews) fetched once from
   * `asset.url` and kept in the derived namespace. NotFoundError when there is none; a failed fetch is
   * remembered for `failureSeconds` and answered without a new fetch meanwhile.
   */
  of(project: string, entry: MediaEntry): Promise<VariantSource>
}

/** `o/<SHA-256 of the URL>` in the derived namespace: the fetched copy of an external original. */
export function externalCopyKey(url: string): string {
  return `o/${createHash('sha256').update(url).digest('base64url')}`
}

export function createVariantSources(deps: {
  blobs: Pick<ProjectStorage, 'files' | 'derived'>
  cache: VariantCache
  /** External previews; absent when turned off. */
  external?: {
    fetcher: Pick<SafeFetcher, 'downloadToFile'>
    tmpDir: string
    maxBytes: number
    failureSeconds: number
    onFailure?: (url: string, err: unknown) => void
  }
  now?: () => number
}): VariantSources {
  const { blobs, cache, external } = deps
  const now = deps.now ?? Date.now
  const failures = new Map<string, number>()
  const fetching = new Map<string, Promise<Buffer>>()

  const fetchOnce = async (project: string, url: string, key: string): Promise<Buffer> => {
    const ext = external!
    await mkdir(ext.tmpDir, { recursive: true })
    const file = path.join(ext.tmpDir, `${randomUUID()}.preview`)
    try {
      await ext.fetcher.downloadToFile(url, file, ext.maxBytes)
      const body = await readFile(file)
      await cache.put(project, key, body, 'application/octet-stream')
      return body
    } finally {
      await rm(file, { force: true })
    }
  }

  return {
    async of(project, entry) {
      const key = entry.asset.key
      const files = blobs.files(project)
      const stat = await files.stat(key)
      if (stat) {
        const read = async () => {
          const body = await readBlob(files, key)
          if (!body) throw notFound('The original is no longer in storage')
          return body
        }
        return {
          tag: `f:${stat.etag}:${stat.size}`,
          lastModified: stat.lastModified,
          read,
          input: async () => (await files.localFile?.(key)) ?? read(),
        }
      }
      const url = entry.asset.url
      if (!external || !/^https?:\/\//i.test(url ?? '')) {
        throw notFound(`The original of entry '${entry.id}' is not in storage`)
      }
      const copyKey = externalCopyKey(url)
      const copy = await blobs.derived(project).stat(copyKey)
      if (copy) {
        const read = async () => {
          const body = await cache.get(project, copyKey)
          if (!body) throw notFound('The fetched copy of the original was evicted')
          return body
        }
        return { tag: `u:${copy.etag}:${copy.size}`, lastModified: copy.lastModified, read, input: read }
      }
      const slot = `${project}/${copyKey}`
      const failedAt = failures.get(slot)
      if (failedAt !== undefined && now() - failedAt < external.failureSeconds * 1000) {
        throw notFound(
          `No preview: the original at asset.url could not be fetched (not retried for ${external.failureSeconds} s)`,
        )
      }
      let pending = fetching.get(slot)
      if (!pending) {
        pending = fetchOnce(project, url, copyKey).finally(() => fetching.delete(slot))
        fetching.set(slot, pending)
      }
      let body: Buffer
      try {
        body = await pending
      } catch (err) {
        if (!failures.has(slot) || now() - failures.get(slot)! >= external.failureSeconds * 1000) {
          failures.set(slot, now())
          if (failures.size > 100_000) failures.clear()
          external.onFailure?.(url, err)
        }
        throw notFound('No preview: the original at asset.url could not be fetched')
      }
      failures.delete(slot)
      const fetched = await blobs.derived(project).stat(copyKey)
      return {
        tag: `u:${fetched?.etag ?? createHash('sha256').update(body).digest('hex')}:${body.length}`,
        lastModified: fetched?.lastModified ?? new Date(now()),
        read: async () => body,
        input: async () => body,
      }
    },
  }
}
