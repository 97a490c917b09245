import { useEffect, useRef, useState } from 'preact/hooks'
import { api, queryString } from './api.js'
import type { Entry } from './api-types.js'

/*
 * The "missing from source" badge of entries whose source object vanished (issue #22), in the grid, the
 * list and the entry page. Apart from ui/sources.tsx (the Imports page's sources, a chunk of its own) since
 * the library's first screen uses it.
 */

/** Most ids one `/ui/source-missing` question names (the server's MISSING_IDS_MAX). */
const MISSING_IDS_MAX = 200
/** Whether an entry lies in a source (its asset key is `@source/<handle>/<path>`). */
const fromSource = (entry: Pick<Entry, 'asset'>) => entry.asset?.key?.startsWith('@source/') === true

/**
 * The ids among `entries` whose source object vanished. Asked for after the entries show (never before the
 * first page), only for entries that lie in a source, 200 ids a request, each id once; with `allMissing`
 * (the search filters on it) every entry is, without a request.
 */
export function useMissing(entries: readonly Entry[], allMissing = false): ReadonlySet<string> {
  const [missing, setMissing] = useState<ReadonlySet<string>>(new Set())
  const asked = useRef(new Set<string>())
  useEffect(() => {
    if (allMissing) return undefined
    const ids = entries.filter((e) => fromSource(e) && !asked.current.has(e.id)).map((e) => e.id)
    if (ids.length === 0) return undefined
    for (const id of ids) asked.current.add(id)
    let current = true
    for (let i = 0; i < ids.length; i += MISSING_IDS_MAX) {
      const chunk = ids.slice(i, i + MISSING_IDS_MAX)
      api<{ missing: string[] }>('GET', `/ui/source-missing${queryString({ ids: chunk.join(',') })}`).then(
        ({ missing: found }) => {
          if (current && found.length > 0) setMissing((m) => new Set([...m, ...found]))
        },
        () => {
          for (const id of chunk) asked.current.delete(id) // asked again with the next entries
        },
      )
    }
    return () => {
      current = false
    }
  }, [entries, allMissing])
  return allMissing ? new Set(entries.map((e) => e.id)) : missing
}

/** The badge of an entry whose source object vanished. */
export function MissingBadge() {
  return (
    <span class="badge source-missing" title="The latest scan of its source no longer found its file">
      missing from source
    </span>
  )
}
