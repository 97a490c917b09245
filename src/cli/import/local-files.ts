import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'

/** A file named by an entry, found inside the `--files` folder. */
export interface LocalFile {
  /** The real path (symlinks resolved). */
  file: string
  size: number
}

/** Why an entry's path was refused: the entry's own failure, the run goes on. */
export class LocalPathError extends Error {
  override readonly name = 'LocalPathError'
}

/** The real path of the `--files` folder; every entry's file must resolve inside it. */
export async function filesRoot(dir: string): Promise<string> {
  const root = await realpath(dir)
  if (!(await stat(root)).isDirectory()) throw new LocalPathError(`--files ${dir} is not a folder`)
  return root
}

/**
 * Resolves an entry's `asset.path` inside `root`: relative, no `..` segment, and (symlinks resolved)
 * still inside `root`, naming a regular file. Anything else is refused with the reason.
 */
export async function resolveInside(root: string, relative: unknown): Promise<LocalFile> {
  if (typeof relative !== 'string' || relative === '')
    throw new LocalPathError('asset.path must name a file relative to --files')
  if (relative.includes('\0')) throw new LocalPathError('asset.path contains a NUL byte')
  if (path.isAbsolute(relative) || /^[a-zA-Z]:[\\/]/.test(relative))
    throw new LocalPathError(`asset.path '${relative}' is absolute: it must be relative to --files`)
  if (relative.split(/[\\/]/).includes('..'))
    throw new LocalPathError(`asset.path '${relative}' contains '..': it must stay inside --files`)
  let file: string
  try {
    file = await realpath(path.join(root, relative))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new LocalPathError(
      code === 'ENOENT' ? `no file '${relative}' in --files` : `cannot open '${relative}': ${code}`,
    )
  }
  if (!file.startsWith(root + path.sep))
    throw new LocalPathError(`asset.path '${relative}' leads out of --files (a symlink)`)
  const info = await stat(file)
  if (!info.isFile()) throw new LocalPathError(`asset.path '${relative}' is not a regular file`)
  return { file, size: info.size }
}

/** Files up to this size are read whole in one call (hashed, and kept for the upload when there is room). */
export const READ_WHOLE_BYTES = 8 * 1024 * 1024

/**
 * The SHA-256 of a file of `size` bytes: streamed when it is large; read whole when it is small, and then
 * the bytes come back too (so that the upload sends exactly the hashed bytes without reading them again).
 */
export async function sha256File(file: string, size: number): Promise<{ sha256: string; bytes?: Buffer }> {
  const hash = createHash('sha256')
  if (size <= READ_WHOLE_BYTES) {
    const bytes = await readFile(file)
    return { sha256: hash.update(bytes).digest('hex'), bytes }
  }
  await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), hash)
  return { sha256: hash.digest('hex') }
}
