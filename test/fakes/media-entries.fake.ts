import type { InsertOutcome, MediaEntryRepository } from '../../src/db/media-entry.repository.js'
import type { MediaEntry } from '../../src/media/entry.js'
import { fakeOf } from './fake-of.js'

/**
 * The media entry repository in memory: entries per project, unique by id and by (systemName, externalId),
 * as the database's keys make them. Stores copies, as a database does.
 */
export class FakeMediaEntries {
  private readonly rows = new Map<string, MediaEntry>()
  /** Every insertNew batch, as given (to check what the service hands the repository). */
  readonly insertedBatches: MediaEntry[][] = []
  /** Runs after a read and before the next guarded write: lets a test play a concurrent writer. */
  beforeWrite?: () => void

  /** The repository's interface, over this store. */
  readonly repository: MediaEntryRepository = fakeOf<MediaEntryRepository>('media entry repository', {
    insertNew: async (project, entries) => this.insertNew(project, entries),
    get: async (project, id, options) => {
      const entry = this.rows.get(`${project}\u0000${id}`)
      if (!entry || (entry.deletedAt !== undefined && !options?.trashed)) return undefined
      return structuredClone(entry)
    },
    updateIfVersion: async (project, entry, expectedVersion) => {
      this.beforeWrite?.()
      const stored = this.rows.get(`${project}\u0000${entry.id}`)
      if (!stored || stored.version !== expectedVersion) return false
      this.rows.set(`${project}\u0000${entry.id}`, structuredClone(entry))
      return true
    },
  })

  /** Puts an entry in place (test setup), bypassing every check. */
  seed(project: string, entry: MediaEntry): void {
    this.rows.set(`${project}\u0000${entry.id}`, structuredClone(entry))
  }

  /** The stored entry, trashed or not. */
  stored(project: string, id: string): MediaEntry | undefined {
    return this.rows.get(`${project}\u0000${id}`)
  }

  count(project: string): number {
    return [...this.rows.keys()].filter((k) => k.startsWith(`${project}\u0000`)).length
  }

  private insertNew(project: string, entries: readonly MediaEntry[]): InsertOutcome {
    this.insertedBatches.push(entries.map((e) => structuredClone(e)))
    const outcome: InsertOutcome = { inserted: new Set(), idTaken: new Set(), externalIdTaken: new Set() }
    for (const entry of entries) {
      const inProject = [...this.rows.entries()].filter(([k]) => k.startsWith(`${project}\u0000`))
      if (this.rows.has(`${project}\u0000${entry.id}`)) {
        outcome.idTaken.add(entry.id)
      } else if (
        entry.externalId !== undefined &&
        inProject.some(([, e]) => e.systemName === entry.systemName && e.externalId === entry.externalId)
      ) {
        outcome.externalIdTaken.add(entry.id)
      } else {
        this.rows.set(`${project}\u0000${entry.id}`, structuredClone(entry))
        outcome.inserted.add(entry.id)
      }
    }
    return outcome
  }
}
