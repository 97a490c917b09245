import { SOURCE_KEY_PREFIX } from './source-storage.js'

/** Why a client's key is refused: only scans of a source make entries whose assets are source keys. */
export const RESERVED_KEY_RULE = `must not start with '${SOURCE_KEY_PREFIX}': those keys name files of a source, and only its scans make such entries`

export const isReservedKey = (key: unknown): boolean =>
  typeof key === 'string' && key.startsWith(SOURCE_KEY_PREFIX)

/**
 * The JSON path of a source key an entry from a client names (its asset, a translation's asset), or
 * undefined. Imports and uploads refuse such entries (issue #22).
 */
export function reservedKeyPath(entry: {
  asset?: { key?: unknown }
  translations?: readonly { asset?: { key?: unknown } }[]
}): string | undefined {
  if (isReservedKey(entry.asset?.key)) return '/asset/key'
  const i = (entry.translations ?? []).findIndex((t) => isReservedKey(t.asset?.key))
  return i >= 0 ? `/translations/${i}/asset/key` : undefined
}

/** `ImportService`'s `refuse` for the importers of clients: an entry naming a source key. */
export function refuseSourceKeys(entry: Parameters<typeof reservedKeyPath>[0]) {
  const path = reservedKeyPath(entry)
  return path === undefined ? undefined : { path, message: RESERVED_KEY_RULE }
}
