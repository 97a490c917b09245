import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import SQLite from 'better-sqlite3'
import { Command } from 'commander'
import { SQLITE_FILE_NAME } from '../config.js'
import { UsageError } from '../errors.js'
import { hashingTap } from '../storage/hashing-tap.js'
import { announceDatabase } from './database-target.js'
import { configFrom, withCommonOptions, type AdminFlags } from './shared.js'

/** The blob root of disk storage under the data directory (src/storage/storage-config.ts). */
/**
 * The disk blob trees under the data dir, copied as they are: `projects/` (each project's files and derived
 * files) and `blobs/` (the layout before project namespaces, until the server's start-up moves it).
 */
const BLOB_DIRS = ['projects', 'blobs']
/** Directories under the blob root that hold writes in progress, never a stored blob. */
const IN_PROGRESS_DIRS = new Set(['.tmp'])
const MANIFEST = 'manifest.json'
const FORMAT = 'medialib-backup/1'

interface ManifestFile {
  /** Relative to the backup directory, with forward slashes. */
  path: string
  size: number
  sha256: string
}

interface Manifest {
  format: typeof FORMAT
  createdAt: string
  database: ManifestFile
  blobs: ManifestFile[]
}

/** Streams `from` to `to` (through a temporary file, renamed at the end), returning size and SHA-256. */
async function copyHashed(from: string, to: string): Promise<{ size: number; sha256: string }> {
  await mkdir(path.dirname(to), { recursive: true })
  const { tap, result } = hashingTap()
  const part = `${to}.part`
  await pipeline(createReadStream(from), tap, createWriteStream(part, { flush: true }))
  await rename(part, to)
  return result()
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}

/** Every file under `root`, as paths relative to it, skipping the in-progress directories. */
async function filesUnder(root: string, relative = ''): Promise<string[]> {
  let names
  try {
    names = await readdir(path.join(root, relative), { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: string[] = []
  for (const d of names.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = relative ? `${relative}/${d.name}` : d.name
    if (d.isDirectory()) {
      if (relative === '' && IN_PROGRESS_DIRS.has(d.name)) continue
      out.push(...(await filesUnder(root, rel)))
    } else if (d.isFile()) out.push(rel)
  }
  return out
}

function sqliteOnly(options: AdminFlags, what: string) {
  const config = configFrom(options)
  return { config, check: () => checkSqliteDisk(config, what) }
}

function checkSqliteDisk(config: ReturnType<typeof configFrom>, what: string): void {
  if (config.storage.driver !== 'disk') {
    throw new UsageError(
      `${what} copies SQLite and disk storage; with S3 storage follow docs/operations.md (database copy, then bucket sync)`,
    )
  }
}

/**
 * `medialib backup --to DIR`: a consistent copy of a SQLite database and its disk blobs while the server
 * runs. The database first, through SQLite's online backup API (a snapshot, whatever the server writes
 * meanwhile), then the blob tree as it is on disk: a blob is stored before its entry is committed, so
 * every entry in the snapshot has its blob in the tree copied after it. A manifest lists every file with
 * its SHA-256.
 */
export function backupCommand(): Command {
  return withCommonOptions(
    new Command('backup')
      .description('copy a SQLite database and its disk blobs, consistently, while the server runs')
      .requiredOption('--to <dir>', 'a new or empty directory for the backup'),
  ).action(async (options: AdminFlags & { to: string }) => {
    const { config, check } = sqliteOnly(options, 'backup')
    const target = await announceDatabase(config, { init: false })
    if (target.kind !== 'sqlite') {
      throw new UsageError(
        'backup copies SQLite databases; for PostgreSQL use pg_dump, then sync the bucket (docs/operations.md)',
      )
    }
    check()
    const dir = path.resolve(options.to)
    if (existsSync(dir) && readdirSync(dir).length > 0)
      throw new UsageError(`--to ${dir} is not empty: give a new or empty directory`)
    await mkdir(dir, { recursive: true })

    const started = new Date()
    const dbCopy = path.join(dir, SQLITE_FILE_NAME)
    const source = new SQLite(target.file, { timeout: 10_000, fileMustExist: true })
    try {
      // All remaining pages in one step: a step holds a read snapshot, so writers never restart the copy.
      await source.backup(dbCopy, { progress: () => 1_000_000_000 })
    } finally {
      source.close()
    }
    const database: ManifestFile = {
      path: SQLITE_FILE_NAME,
      size: (await stat(dbCopy)).size,
      sha256: await hashFile(dbCopy),
    }

    const blobs: ManifestFile[] = []
    let vanished = 0
    for (const blobDir of BLOB_DIRS) {
      const blobRoot = path.join(config.dataDir, blobDir)
      for (const rel of await filesUnder(blobRoot)) {
        try {
          const copied = await copyHashed(path.join(blobRoot, rel), path.join(dir, blobDir, rel))
          blobs.push({ path: `${blobDir}/${rel}`, ...copied })
        } catch (err) {
          // Removed between the listing and the copy: replaced or deleted after the snapshot began.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
          vanished++
        }
      }
    }
    const manifest: Manifest = { format: FORMAT, createdAt: started.toISOString(), database, blobs }
    await writeFile(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`)
    const bytes = blobs.reduce((n, b) => n + b.size, database.size)
    process.stdout.write(
      `backed up the database and ${blobs.length} blobs (${bytes} bytes) to ${dir}` +
        `${vanished > 0 ? `; ${vanished} blobs were removed while copying` : ''}\n`,
    )
  })
}

/** Reads and checks the manifest of a backup directory. */
function readManifest(dir: string): Manifest {
  let manifest: Manifest
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest
  } catch (err) {
    throw new UsageError(
      `${dir} is not a medialib backup: cannot read ${MANIFEST}: ${(err as Error).message}`,
    )
  }
  if (manifest.format !== FORMAT)
    throw new UsageError(`${dir}: unknown backup format '${String(manifest.format)}'`)
  for (const f of [manifest.database, ...manifest.blobs]) {
    const parts = f.path.split('/')
    if (parts.some((p) => p === '' || p === '.' || p === '..') || f.path.includes('\\'))
      throw new UsageError(`${dir}: the manifest names an unsafe path '${f.path}'`)
  }
  return manifest
}

/**
 * `medialib restore --from DIR`: checks every file of the backup against its manifest hash, then copies
 * them into the data directory, checking each copy's hash again. Refuses a data directory that already
 * has a database unless --force (stop the server first).
 */
export function restoreCommand(): Command {
  return withCommonOptions(
    new Command('restore')
      .description('put a backup made by `medialib backup` into the data directory, verifying every hash')
      .requiredOption('--from <dir>', 'the backup directory')
      .option('--force', 'replace an existing database (stop the server first)'),
  ).action(async (options: AdminFlags & { from: string; force?: boolean }) => {
    const { config, check } = sqliteOnly(options, 'restore')
    const target = await announceDatabase(config, { init: true })
    if (target.kind !== 'sqlite') {
      throw new UsageError(
        'restore puts back SQLite backups; for PostgreSQL use pg_restore, then sync the bucket (docs/operations.md)',
      )
    }
    check()
    const from = path.resolve(options.from)
    const manifest = readManifest(from)
    for (const f of [manifest.database, ...manifest.blobs]) {
      const file = path.join(from, f.path)
      if (!existsSync(file)) throw new UsageError(`the backup is incomplete: ${file} is missing`)
      if ((await hashFile(file)) !== f.sha256)
        throw new UsageError(`the backup is damaged: ${file} does not match its SHA-256 in ${MANIFEST}`)
    }
    if (existsSync(target.file) && !options.force) {
      throw new UsageError(
        `${target.file} exists: stop the server and pass --force to replace it, or restore into another --data-dir`,
      )
    }
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${target.file}${suffix}`, { force: true })
    const copies = [
      { entry: manifest.database, to: target.file },
      ...manifest.blobs.map((b) => ({ entry: b, to: path.join(config.dataDir, b.path) })),
    ]
    for (const { entry, to } of copies) {
      const copied = await copyHashed(path.join(from, entry.path), to)
      if (copied.sha256 !== entry.sha256)
        throw new UsageError(`copying ${entry.path} to ${to} changed its bytes (SHA-256 differs)`)
    }
    process.stdout.write(
      `restored the database and ${manifest.blobs.length} blobs from ${from} (backup of ${manifest.createdAt}); every SHA-256 verified\n`,
    )
  })
}
