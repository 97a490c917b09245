import { readBlob, type BlobStore } from '../storage/blob-store.js'
import type { ProjectStorage } from '../storage/project-storage.js'
import type { SourceReader } from './source-reader.js'

/** The asset keys of entries made from a source: `@source/<handle>/<path relative to the source's root>`. */
export const SOURCE_KEY_PREFIX = '@source/'

export function sourceKey(handle: string, relative: string): string {
  return `${SOURCE_KEY_PREFIX}${handle}/${relative}`
}

/** The source handle and relative path of a source key, or undefined for any other key. */
export function parseSourceKey(key: string): { handle: string; relative: string } | undefined {
  if (!key.startsWith(SOURCE_KEY_PREFIX)) return undefined
  const rest = key.slice(SOURCE_KEY_PREFIX.length)
  const slash = rest.indexOf('/')
  if (slash <= 0) return undefined
  return { handle: rest.slice(0, slash), relative: rest.slice(slash + 1) }
}

/**
 * Project storage in which the keys of source entries read the source in place, read-only: writes of such a
 * key throw, deleting one is a no-op (a source's files are never removed by medialib), an unknown source
 * reads as nothing. Every other key is the project's own, unchanged.
 */
export function withSources(
  storage: ProjectStorage,
  readerOf: (project: string, handle: string) => Promise<SourceReader | undefined>,
): ProjectStorage {
  const view = (project: string, own: BlobStore): BlobStore => {
    const source = async (key: string) => {
      const parsed = parseSourceKey(key)
      if (!parsed) return undefined
      return { reader: await readerOf(project, parsed.handle), relative: parsed.relative }
    }
    const readOnly = (key: string) => new Error(`The source key ${JSON.stringify(key)} is read-only`)
    return {
      put: async (key, body, options) => {
        if (parseSourceKey(key)) throw readOnly(key)
        return own.put(key, body, options)
      },
      ...(own.putFile
        ? {
            putFile: async (key: string, file: string, options?: { contentType?: string }) => {
              if (parseSourceKey(key)) throw readOnly(key)
              return own.putFile!(key, file, options)
            },
          }
        : {}),
      ...(own.putBytes
        ? {
            putBytes: async (key: string, bytes: Buffer, options?: { contentType?: string }) => {
              if (parseSourceKey(key)) throw readOnly(key)
              return own.putBytes!(key, bytes, options)
            },
          }
        : {}),
      get: async (key, range) => {
        const s = await source(key)
        if (!s) return own.get(key, range)
        return s.reader ? s.reader.get(s.relative, range) : undefined
      },
      // The project's own keys keep the store's one-read path (originals to render, cached variants);
      // a source key is collected from its reader's stream.
      read: async (key) => {
        const s = await source(key)
        if (!s) return own.read ? own.read(key) : readBlob(own, key)
        return s.reader ? readBlob(s.reader, s.relative) : undefined
      },
      localFile: async (key) => {
        const s = await source(key)
        if (!s) return own.localFile?.(key)
        return s.reader?.localFile?.(s.relative)
      },
      stat: async (key) => {
        const s = await source(key)
        if (!s) return own.stat(key)
        const stat = s.reader ? await s.reader.stat(s.relative) : undefined
        return stat ? { ...stat, key } : undefined
      },
      delete: async (key) => {
        if (!parseSourceKey(key)) await own.delete(key)
      },
      list: (prefix) => own.list(prefix),
    }
  }
  return { files: (project) => view(project, storage.files(project)), derived: (p) => storage.derived(p) }
}
