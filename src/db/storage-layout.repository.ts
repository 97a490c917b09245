import type { Database } from './database.js'

/** The keys one entry references (its asset, its translations' assets, keys a PATCH replaced). */
export interface KeyReference {
  seq: number
  project: string
  keys: string[]
}

/** The state of the blob layout, and the entries' keys in insertion order (for the namespace upgrade). */
export interface StorageLayoutRepository {
  /** True while blobs are still in the layout before project namespaces. */
  isLegacy(): Promise<boolean>
  markNamespaced(): Promise<void>
  /** Up to `limit` entries after insertion sequence `afterSeq`, in insertion order. */
  referencesAfter(afterSeq: number, limit: number): Promise<KeyReference[]>
}

export function createStorageLayoutRepository({ db, caps }: Database): StorageLayoutRepository {
  return {
    async isLegacy() {
      const row = await db
        .selectFrom('storage_layout')
        .select('state')
        .where('name', '=', 'blobs')
        .executeTakeFirst()
      return row?.state === 'legacy'
    },
    async markNamespaced() {
      await db
        .updateTable('storage_layout')
        .set({ state: 'namespaced' })
        .where('name', '=', 'blobs')
        .execute()
    },
    async referencesAfter(afterSeq, limit) {
      const rows = await db
        .selectFrom('media_entries')
        .select(['seq', 'project', 'asset', 'translations', 'former_keys'])
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute()
      return rows.map((row) => {
        const keys = new Set<string>()
        const asset = caps.fromJson(row.asset) as { key?: unknown }
        if (typeof asset.key === 'string') keys.add(asset.key)
        const translations = (row.translations ? caps.fromJson(row.translations) : []) as {
          asset?: { key?: unknown }
        }[]
        for (const t of translations) if (typeof t.asset?.key === 'string') keys.add(t.asset.key)
        for (const key of (caps.fromJson(row.former_keys) ?? []) as unknown[])
          if (typeof key === 'string') keys.add(key)
        return { seq: Number(row.seq), project: row.project, keys: [...keys] }
      })
    },
  }
}
