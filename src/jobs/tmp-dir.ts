// The URL imports' (and uploads') temp directory: each process's own folder, and the sweep of what dead
// processes left (split from item-processor.ts, issue #21).
import { readdir, rm } from 'node:fs/promises'
import { hostname } from 'node:os'
import path from 'node:path'

/** This process's own folder under the temp directory: `<host>-<pid>`, so a sweep can tell whose files are whose. */
export function processTmpDir(tmpDir: string): string {
  return path.join(tmpDir, `${hostname()}-${process.pid}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes what dead processes left in the temp directory (partial `.download` files of a worker that was
 * killed): the folders of this host's processes that no longer run, and loose files of older versions.
 * Folders of live processes, and of other hosts sharing the data directory, are left alone.
 */
export async function sweepTmpDir(tmpDir: string): Promise<string[]> {
  const host = hostname()
  const removed: string[] = []
  let names: string[]
  try {
    names = await readdir(tmpDir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return removed
    throw err
  }
  for (const name of names) {
    const owner = /^(.+)-(\d+)$/.exec(name)
    const dead = owner
      ? owner[1] === host && Number(owner[2]) !== process.pid && !isAlive(Number(owner[2]))
      : name.endsWith('.download')
    if (!dead) continue
    await rm(path.join(tmpDir, name), { recursive: true, force: true })
    removed.push(name)
  }
  return removed
}
