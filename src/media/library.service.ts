import type { MediaEntryRepository } from '../db/media-entry.repository.js'
import { NotFoundError } from '../errors.js'
import type { MediaEntry } from './entry.js'

export interface LibraryService {
  getOrFail(project: string, id: string): Promise<MediaEntry>
  /** Entries with these ids, in the order asked for; unknown ids are left out. */
  listByIds(project: string, ids: readonly string[]): Promise<MediaEntry[]>
  /** Entries with these externalIds in one system, in the order asked for. */
  listByExternalIds(
    project: string,
    systemName: string,
    externalIds: readonly string[],
  ): Promise<MediaEntry[]>
}

function inOrder<K>(keys: readonly K[], entries: MediaEntry[], keyOf: (e: MediaEntry) => K): MediaEntry[] {
  const byKey = new Map(entries.map((e) => [keyOf(e), e]))
  const out: MediaEntry[] = []
  const seen = new Set<K>()
  for (const key of keys) {
    const entry = byKey.get(key)
    if (entry && !seen.has(key)) out.push(entry)
    seen.add(key)
  }
  return out
}

export function createLibraryService(deps: { entries: MediaEntryRepository }): LibraryService {
  const { entries } = deps
  return {
    async getOrFail(project, id) {
      const entry = await entries.get(project, id)
      if (!entry) {
        throw new NotFoundError({
          name: 'NotFound',
          message: `MediaLibrary Entry does not exist (id: '${id}')`,
        })
      }
      return entry
    },
    async listByIds(project, ids) {
      return inOrder(ids, await entries.listByIds(project, ids), (e) => e.id)
    },
    async listByExternalIds(project, systemName, externalIds) {
      return inOrder(
        externalIds,
        await entries.listByExternalIds(project, systemName, externalIds),
        (e) => e.externalId as string,
      )
    },
  }
}
