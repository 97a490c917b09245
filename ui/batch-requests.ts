// The requests of the library grid's batch actions (issue #19; split from batch.tsx): collecting "all
// matching", and a batch edit or delete sent through `PATCH /mediaLibrary` in chunks of the server's limits.
import { api } from './api.js'
import type { ImportResult, Patch, PropertyDef, SearchPage, Session } from './api-types.js'
import { batchBody, type BatchResult, runChunks, type Summary, type Target } from './batch-model.js'

/**
 * Entries per `PATCH /mediaLibrary` request and per search page while collecting "all matching": the
 * server's `limits.patchEntriesPerRequest` and largest search page, as `/ui/session` tells them; these
 * defaults (the server's) when it does not.
 */
export const BATCH_CHUNK = 1000
const COLLECT_PAGE = 1000
type Limits = Session['limits']
const sizeOf = (value: number | undefined, fallback: number): number =>
  value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback

/**
 * Every entry of the search (id and version), paging by its cursor, before anything is changed: an
 * archive would otherwise move entries out of the very search being paged.
 */
export async function collectTargets(
  searchUrl: string,
  onProgress: (n: number) => void,
  limits: Limits,
): Promise<Target[]> {
  const pageSize = sizeOf(limits?.searchPageMax, COLLECT_PAGE)
  const targets: Target[] = []
  let after: string | undefined
  do {
    const sep = searchUrl.includes('?') ? '&' : '?'
    const cursor = after ? `&after=${encodeURIComponent(after)}` : ''
    const page: SearchPage = await api<SearchPage>('GET', `${searchUrl}${sep}limit=${pageSize}${cursor}`)
    for (const e of page.results) targets.push({ id: e.id, version: e.version })
    onProgress(targets.length)
    after = page.cursor ?? undefined
  } while (after)
  return targets
}

/** The typed client, a chunk of its own: the library's first screen does without it (docs/ui.md). */
const typedClient = () => import('./api-client.js')

/** Sends `patches` to each target in chunks; `onProgress(done, summary)` after each chunk. */
export function sendBatch(
  targets: Target[],
  patches: Patch[],
  onProgress: (done: number, summary: Summary) => void,
  limits: Limits,
): Promise<Summary> {
  return runChunks(
    targets,
    sizeOf(limits?.patchEntriesPerRequest, BATCH_CHUNK),
    async (part) => {
      const { client, ok, version } = await typedClient()
      return resultsOf(
        part,
        await ok(
          client.PATCH('/api/{apiVersion}/mediaLibrary', {
            params: { path: version },
            body: batchBody(part, patches),
          }),
        ),
      )
    },
    onProgress,
  )
}

/** One result per entry of a batch answer, each with its id (the request's, where the answer has none). */
function resultsOf(
  part: Target[],
  answer: { results: ImportResult[] } | { mediaLibraryEntries: ImportResult[] },
): BatchResult[] {
  const results = 'results' in answer ? answer.results : answer.mediaLibraryEntries
  return results.map((r, i) => ({ ...r, id: r.id ?? part[i]?.id ?? '' }))
}

/**
 * Moves each target to the trash (`POST /mediaLibrary/delete`) in chunks of the server's
 * `limits.deleteEntriesPerRequest`; `onProgress(done, summary)` after each chunk. A used or protected entry
 * is refused on its own (409, the API's reason).
 */
export function sendDelete(
  targets: Target[],
  onProgress: (done: number, summary: Summary) => void,
  limits: Limits,
): Promise<Summary> {
  return runChunks(
    targets,
    sizeOf(limits?.deleteEntriesPerRequest, BATCH_CHUNK),
    async (part) => {
      const { client, ok, version } = await typedClient()
      return resultsOf(
        part,
        await ok(
          client.POST('/api/{apiVersion}/mediaLibrary/delete', {
            params: { path: version },
            body: { ids: part.map((t) => t.id) },
          }),
        ),
      )
    },
    onProgress,
  )
}

/** The fields a batch edit offers: the text and choice properties of the selected entries' media types. */
export function editableFields(
  mediaTypes: Session['mediaTypes'],
  handles: ReadonlySet<string>,
): PropertyDef[] {
  const seen = new Map<string, PropertyDef>()
  for (const type of mediaTypes) {
    if (!handles.has(type.handle)) continue
    for (const def of type.metadata ?? []) {
      if (def.config?.hideFromForm || seen.has(def.handle)) continue
      if (def.type === 'li-text' || def.type === 'li-enum') seen.set(def.handle, def)
    }
  }
  return [...seen.values()]
}
