import { Readable } from 'node:stream'
import { pendingMigrations, type Database } from './db/database.js'
import { DEFAULT_PROJECT } from './projects/project.service.js'
import type { ProjectStorage } from './storage/project-storage.js'

/** Where the probe blob of `/readyz` goes: written and removed at once. */
const PROBE_PREFIX = '.readyz'

/** Each readiness check: `ok`, or why it failed. */
export interface ReadinessChecks {
  database: string
  storage: string
  migrations: string
}

/** What the health and readiness probes ask of the process's dependencies. */
export interface HealthService {
  /** Resolves when the database answers; rejects otherwise. */
  ping(): Promise<void>
  /** Database reachable, storage writable, migrations current: each `ok` or the cause of its failure. */
  readiness(): Promise<ReadinessChecks>
}

async function check(fn: () => Promise<string | undefined>): Promise<string> {
  try {
    return (await fn()) ?? 'ok'
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  }
}

export function createHealthService(deps: {
  database: Database
  blobs: Pick<ProjectStorage, 'derived'>
}): HealthService {
  const { database, blobs } = deps
  return {
    ping: () => database.ping(),
    async readiness() {
      return {
        database: await check(async () => {
          await database.ping()
          return undefined
        }),
        storage: await check(async () => {
          const key = `${PROBE_PREFIX}/${process.pid}-${Date.now()}`
          // The default project's derived namespace: the server's own, no client key can name it.
          const store = blobs.derived(DEFAULT_PROJECT)
          await store.put(key, Readable.from([Buffer.from('ready')]))
          await store.delete(key)
          return undefined
        }),
        migrations: await check(async () => {
          const pending = await pendingMigrations(database)
          return pending.length === 0 ? undefined : `not run: ${pending.join(', ')}`
        }),
      }
    },
  }
}
