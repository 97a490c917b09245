import {
  closeSync,
  constants,
  createReadStream,
  fstatSync,
  lstatSync,
  open,
  openSync,
  read,
  readdirSync,
  readSync,
  realpathSync,
} from 'node:fs'
import { opendir, stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { BadRequestError } from '../errors.js'
import type { BlobStat, ByteRange } from '../storage/blob-store.js'
import { keyProblem } from '../storage/key.js'

/** One object a listing of a source yields. */
export interface SourceObject {
  /** Relative to the source's root, `/`-separated, in the key grammar. */
  path: string
  size: number
  /** mtime in ms (disk) or the ETag (S3): with the size, what tells a changed object from an unchanged one. */
  version: string
}

/** Read-only access to a source: listing for scans, reads for scans and for serving in place. */
export interface SourceReader {
  /** Throws with a clear message unless the source can be read and listed. */
  check(): Promise<void>
  /**
   * Every object, in the reader's fixed order, from just after `after` (a path an earlier listing yielded:
   * a scan's list tasks resume there); nothing is read. `pageSize` hints how many the caller will take.
   */
  list(options?: { after?: string; pageSize?: number }): AsyncIterable<SourceObject>
  stat(relative: string): Promise<BlobStat | undefined>
  get(relative: string, range?: ByteRange): Promise<Readable | undefined>
  /**
   * The whole object when it is at most `max` bytes, without a stream (a scan's path for small files): null
   * when it is larger, undefined when it does not exist. Readers without it are read through `get`.
   */
  readSmall?(relative: string, max: number): Promise<Buffer | null | undefined>
  /** The real local file of a path inside the root (disk sources only; symlinks out refused as by `get`). */
  localFile?(relative: string): Promise<string | undefined>
}

/** A path that names nothing inside the source (`..`, absolute, a symlink out of the root): a 400. */
export class SourcePathError extends BadRequestError {
  constructor(relative: string, rule: string) {
    super({ name: 'ValidationError', message: `Invalid source path ${JSON.stringify(relative)}: ${rule}` })
  }
}

export function checkSourcePath(relative: string): string {
  const problem = keyProblem(relative)
  if (problem !== undefined) throw new SourcePathError(relative, problem)
  return relative
}

const isMissing = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/**
 * The disk walk's order: folder by folder, names sorted within each (a folder's files come where its name
 * sorts), i.e. paths compared segment by segment.
 */
export function compareSegments(a: string, b: string): number {
  const x = a.split('/')
  const y = b.split('/')
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i]! < y[i]!) return -1
    if (x[i]! > y[i]!) return 1
  }
  return x.length - y.length
}

/**
 * Files up to this size are read whole into one buffer, without a stream: by `readSmall` (a scan; the read in
 * the thread pool) and by `get` (serving; synchronous calls, cheaper than the pool's hop for a cached file).
 */
export const SYNC_READ_BYTES = 64 * 1024

/** The size of an open regular file when it is at most `max` bytes; null when larger, undefined when not a file. */
function smallSizeOf(fd: number, max: number): number | null | undefined {
  const s = fstatSync(fd)
  if (!s.isFile()) return undefined
  return s.size > max ? null : s.size
}

/**
 * The whole of an open file of at most `max` bytes; null when it is larger, undefined when it is not a
 * regular file. Closes `fd`.
 */
function readSmallFd(fd: number, max: number): Buffer | null | undefined {
  try {
    const size = smallSizeOf(fd, max)
    if (typeof size !== 'number') return size
    const bytes = Buffer.allocUnsafe(size)
    let at = 0
    for (let n = -1; at < size && n !== 0; at += n) n = readSync(fd, bytes, at, size - at, at)
    return bytes.subarray(0, at)
  } finally {
    closeSync(fd)
  }
}

const openAsync = promisify(open)
const readAsync = promisify(read)

/**
 * `readSmallFd` with the read in the thread pool: a file whose data is not in the page cache waits for the
 * disk there, while this thread probes and hashes the files read before it (the fstat and close stay
 * synchronous: the open brought the inode in).
 */
async function readSmallFdAsync(fd: number, max: number): Promise<Buffer | null | undefined> {
  try {
    const size = smallSizeOf(fd, max)
    if (typeof size !== 'number') return size
    const bytes = Buffer.allocUnsafe(size)
    let at = 0
    for (let n = -1; at < size && n !== 0; at += n)
      n = (await readAsync(fd, bytes, at, size - at, at)).bytesRead
    return bytes.subarray(0, at)
  } finally {
    closeSync(fd)
  }
}

/** How long a folder's real path is reused by `readSmall` (a scan reads a folder's files within this). */
const DIR_CACHE_MS = 1000
const DIR_CACHE_MAX = 10_000

/**
 * A folder on disk. Listing never follows a symlink; a read through one that leaves the root is refused.
 * Listing and path resolution are synchronous: a local inode lookup takes microseconds, less than a hop
 * through the thread pool. A scan's reads of small files open and read in the pool (`readSmall`): a first scan
 * meets files whose data is on the disk, not in the page cache, and waits for several at once.
 */
export function createDiskSourceReader(dir: string): SourceReader {
  let rootReal: string | undefined
  const root = () => (rootReal ??= realpathSync.native(dir))
  /** Real paths of folders inside the root, each for DIR_CACHE_MS: one realpath a folder, not one a file. */
  const dirs = new Map<string, { real: string; until: number }>()
  const realDir = (relativeDir: string): string => {
    const now = Date.now()
    const hit = dirs.get(relativeDir)
    if (hit && hit.until > now) return hit.real
    const base = root()
    const real = relativeDir ? realpathSync.native(path.join(base, ...relativeDir.split('/'))) : base
    if (real !== base && !real.startsWith(base + path.sep))
      throw new SourcePathError(relativeDir, 'leaves the source root')
    if (dirs.size >= DIR_CACHE_MAX) dirs.clear()
    dirs.set(relativeDir, { real, until: now + DIR_CACHE_MS })
    return real
  }

  /** The real file of a relative path, inside the root; undefined when it does not exist. */
  const resolve = async (relative: string): Promise<string | undefined> => {
    checkSourcePath(relative)
    const base = root()
    let real: string
    try {
      real = realpathSync.native(path.join(base, ...relative.split('/')))
    } catch (err) {
      if (isMissing(err)) return undefined
      throw err
    }
    if (!real.startsWith(base + path.sep)) throw new SourcePathError(relative, 'leaves the source root')
    return real
  }

  function* walk(base: string, prefix: string, after?: string): Generator<SourceObject> {
    const entries: { name: string; dir: boolean }[] = []
    for (const entry of readdirSync(path.join(base, ...prefix.split('/').filter(Boolean)), {
      withFileTypes: true,
    })) {
      // Symlinks are never followed: a link out of the root (or a loop) is not part of the source.
      if (entry.isDirectory()) entries.push({ name: entry.name, dir: true })
      else if (entry.isFile()) entries.push({ name: entry.name, dir: false })
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const relative = prefix + entry.name
      if (keyProblem(relative) !== undefined) continue
      if (after !== undefined) {
        // Resuming: whatever the walk yields before `after` (folders included whole) is skipped unread.
        const order = compareSegments(relative, after)
        if (entry.dir ? order < 0 && !after.startsWith(`${relative}/`) : order <= 0) continue
      }
      if (entry.dir) {
        yield* walk(base, `${relative}/`, after)
      } else {
        let s: ReturnType<typeof lstatSync> | undefined
        try {
          s = lstatSync(path.join(base, ...relative.split('/')))
        } catch {
          s = undefined // vanished since the folder was read
        }
        if (s?.isFile()) yield { path: relative, size: s.size, version: String(Math.trunc(s.mtimeMs)) }
      }
    }
  }

  return {
    async check() {
      const s = await stat(dir).catch(() => undefined)
      if (!s?.isDirectory()) throw new Error(`The source folder ${dir} does not exist or is not a folder`)
      const handle = await opendir(dir)
      await handle.close()
    },
    async *list(options = {}) {
      yield* walk(root(), '', options.after)
    },
    async stat(relative) {
      const file = await resolve(relative)
      if (!file) return undefined
      const s = await stat(file)
      if (!s.isFile()) return undefined
      const mtime = Math.trunc(s.mtimeMs)
      return {
        key: relative,
        size: s.size,
        etag: `"${s.size.toString(16)}-${mtime.toString(16)}"`,
        lastModified: s.mtime,
      }
    },
    async get(relative, range) {
      const file = await resolve(relative)
      if (!file) return undefined
      let small: Buffer | null = null
      try {
        small = range ? null : (readSmallFd(openSync(file, 'r'), SYNC_READ_BYTES) ?? null)
      } catch (err) {
        if (isMissing(err)) return undefined
        throw err
      }
      if (small) return Readable.from([small])
      return createReadStream(file, range ? { start: range.start, end: range.end } : {})
    },
    async readSmall(relative, max) {
      checkSourcePath(relative)
      const slash = relative.lastIndexOf('/')
      let fd: number
      try {
        // The folder's real path (cached), then the file itself without following a symlink: a link there
        // (never listed) is resolved whole by `get`'s rule instead.
        const folder = realDir(slash < 0 ? '' : relative.slice(0, slash))
        fd = await openAsync(
          path.join(folder, relative.slice(slash + 1)),
          constants.O_RDONLY | constants.O_NOFOLLOW,
        )
      } catch (err) {
        if (isMissing(err)) return undefined
        if ((err as NodeJS.ErrnoException).code !== 'ELOOP') throw err
        const file = await resolve(relative)
        if (!file) return undefined
        fd = openSync(file, 'r')
      }
      return readSmallFdAsync(fd, max)
    },
    async localFile(relative) {
      const file = await resolve(relative)
      return file && (await stat(file)).isFile() ? file : undefined
    },
  }
}
