import { randomUUID } from 'node:crypto'
import fs, { createReadStream, createWriteStream, type Dirent, type Stats } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { pipeline } from 'node:stream/promises'
import type { BlobStat, BlobStore } from './blob-store.js'
import { checkKey, InvalidKeyError, MAX_STORE_KEY_BYTES } from './key.js'

const TMP_DIR = '.tmp'

function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

const fdOpen = promisify(fs.open)
const fdWrite = (fd: number, bytes: Buffer, at: number, length: number) =>
  new Promise<number>((resolve, reject) =>
    fs.write(fd, bytes, at, length, null, (err, written) => (err ? reject(err) : resolve(written))),
  )
const fdDatasync = promisify(fs.fdatasync)
const fdStat = promisify(fs.fstat)
const fdClose = promisify(fs.close)

function blobStat(key: string, s: Stats): BlobStat {
  return {
    key,
    size: s.size,
    etag: `"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}-${s.ino.toString(16)}"`,
    lastModified: s.mtime,
  }
}

/** Moves `from` to `file`, making the folder again when it is missing (a concurrent delete pruned it). */
async function moveInto(from: string, file: string): Promise<void> {
  await rename(from, file).catch(async (err: unknown) => {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err
    await mkdir(path.dirname(file), { recursive: true })
    await rename(from, file)
  })
}

/** A BlobStore on the local disk under `root`. Writes go to a temporary file, then a rename. */
export function createDiskBlobStore(root: string): BlobStore {
  const base = path.resolve(root)
  const fileOf = (key: string) => {
    const file = path.resolve(base, checkKey(key, MAX_STORE_KEY_BYTES))
    // checkKey refuses `..`; this is the belt to its braces.
    if (!file.startsWith(base + path.sep) || file.startsWith(path.join(base, TMP_DIR) + path.sep)) {
      throw new InvalidKeyError(key)
    }
    return file
  }
  /**
   * A synchronous stat: the lookup of a local file's inode takes a few microseconds, less than handing it to
   * the thread pool and back (about 100 µs of the event loop's time per call under load, measured on the
   * variant cache-hit path). Every served file and variant stats its original, so this is the hot call.
   */
  const statOf = async (key: string): Promise<BlobStat | undefined> => {
    const file = fileOf(key)
    try {
      const s = fs.statSync(file, { throwIfNoEntry: false })
      return s?.isFile() ? blobStat(key, s) : undefined
    } catch (err) {
      if (isMissing(err)) return undefined
      throw err
    }
  }

  return {
    async put(key, body) {
      const file = fileOf(key)
      const tmpDir = path.join(base, TMP_DIR)
      await mkdir(tmpDir, { recursive: true })
      await mkdir(path.dirname(file), { recursive: true })
      const tmp = path.join(tmpDir, `${randomUUID()}.part`)
      try {
        await pipeline(body, createWriteStream(tmp, { flush: true }))
        await moveInto(tmp, file)
      } catch (err) {
        await rm(tmp, { force: true })
        throw err
      }
      return (await statOf(key)) as BlobStat
    },
    async putFile(key, source) {
      const file = fileOf(key)
      // Durable before it is named: the same guarantee as put's flushed write, without copying the bytes.
      const handle = await open(source, 'r+')
      try {
        await handle.datasync()
      } finally {
        await handle.close()
      }
      await mkdir(path.dirname(file), { recursive: true })
      try {
        await rename(source, file)
      } catch (err) {
        // Another file system (or a folder pruned by a concurrent delete): copy through put.
        const code = (err as { code?: unknown }).code
        if (code !== 'EXDEV' && code !== 'ENOENT') throw err
        return this.put(key, createReadStream(source))
      }
      return (await statOf(key)) as BlobStat
    },
    async putBytes(key, bytes) {
      const file = fileOf(key)
      // Fewest steps: write, sync and stat one descriptor, then one rename (folders are made only when
      // missing). Plain descriptors: a FileHandle per small file costs more than the write.
      const tmp = path.join(base, TMP_DIR, `${randomUUID()}.part`)
      const fd = await fdOpen(tmp, 'w').catch(async (err: unknown) => {
        if ((err as { code?: unknown }).code !== 'ENOENT') throw err
        await mkdir(path.join(base, TMP_DIR), { recursive: true })
        return fdOpen(tmp, 'w')
      })
      let stats: Stats
      try {
        try {
          for (let at = 0; at < bytes.length;) at += await fdWrite(fd, bytes, at, bytes.length - at)
          // Durable before it is named, as put's flushed write.
          const [, fstats] = await Promise.all([fdDatasync(fd), fdStat(fd)])
          stats = fstats
        } finally {
          await fdClose(fd)
        }
        await moveInto(tmp, file)
      } catch (err) {
        await rm(tmp, { force: true })
        throw err
      }
      return blobStat(key, stats)
    },
    async get(key, range) {
      const file = fileOf(key)
      if (!(await statOf(key))) return undefined
      return createReadStream(file, range ? { start: range.start, end: range.end } : {})
    },
    async read(key) {
      try {
        // One open, one fstat, one read of the known size.
        return await readFile(fileOf(key))
      } catch (err) {
        if (isMissing(err) || (err as { code?: unknown }).code === 'EISDIR') return undefined
        throw err
      }
    },
    async localFile(key) {
      return (await statOf(key)) ? fileOf(key) : undefined
    },
    stat: statOf,
    async delete(key) {
      const file = fileOf(key)
      await rm(file, { force: true })
      // Folders left empty go too, so a later key may use the name as a file (`a/b` deleted, then `a`).
      for (let dir = path.dirname(file); dir.startsWith(base + path.sep); dir = path.dirname(dir)) {
        try {
          await rmdir(dir)
        } catch {
          break
        }
      }
    },
    async list(prefix) {
      const keys: string[] = []
      const walk = async (dir: string, rel: string): Promise<void> => {
        let names: Dirent[]
        try {
          names = await readdir(dir, { withFileTypes: true })
        } catch (err) {
          if (isMissing(err)) return
          throw err
        }
        for (const d of names) {
          const key = rel ? `${rel}/${d.name}` : d.name
          if (!rel && d.name === TMP_DIR) continue
          if (d.isDirectory()) {
            // Only descend where the prefix can still match.
            if (key.startsWith(prefix) || prefix.startsWith(`${key}/`))
              await walk(path.join(dir, d.name), key)
          } else if (d.isFile() && key.startsWith(prefix)) keys.push(key)
        }
      }
      await walk(base, '')
      return keys.sort()
    },
  }
}
