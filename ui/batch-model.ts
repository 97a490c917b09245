/**
 * Batch actions over a selection, as pure parts (unit-tested in test/unit/ui-batch-model.test.ts): the
 * chunks sent to `PATCH /mediaLibrary` (one request per chunk, the server's limit per request), the
 * per-entry results summed up, and whether the selected entries share a field's value.
 */

/** One entry a batch acts on: its id and the version the editor saw (the version check). */
export interface Target {
  id: string
  version?: number
}

/** One result of `PATCH /mediaLibrary`, in the import envelope. */
export interface BatchResult {
  ok: boolean
  id: string
  status?: number
  error?: string
  error_details?: Record<string, unknown>
}

export interface Failure {
  id: string
  status: number
  reason: string
}

export interface Summary {
  saved: number
  failed: Failure[]
}

export const EMPTY_SUMMARY: Summary = { saved: 0, failed: [] }

/** `items` in slices of at most `size`, in order. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`chunk size must be a positive integer: ${size}`)
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** The message of a refused entry: the API's wording, per metadata property where it names them. */
export function reasonOf(result: BatchResult): string {
  const d = result.error_details ?? {}
  const items = (d.errors ?? d.invalidMetadata) as { message?: string }[] | undefined
  if (Array.isArray(items) && items.length > 0) return items.map((i) => i.message ?? '').join('; ')
  if (typeof d.message === 'string') return d.message
  return result.error ?? `HTTP ${result.status ?? '?'}`
}

/** Adds one chunk's results to the summary so far. */
export function addResults(summary: Summary, results: readonly BatchResult[]): Summary {
  const failed = results
    .filter((r) => !r.ok)
    .map((r) => ({ id: r.id, status: r.status ?? 0, reason: reasonOf(r) }))
  return {
    saved: summary.saved + results.filter((r) => r.ok).length,
    failed: failed.length ? [...summary.failed, ...failed] : summary.failed,
  }
}

/** A whole chunk refused (HTTP error): every entry of it failed with that message. */
export function failChunk(
  summary: Summary,
  targets: readonly Target[],
  status: number,
  reason: string,
): Summary {
  return {
    saved: summary.saved,
    failed: [...summary.failed, ...targets.map((t) => ({ id: t.id, status, reason }))],
  }
}

/** The body of one chunk: the same patches for each entry, with the version each was seen at. */
export function batchBody<P>(
  targets: readonly Target[],
  patches: P[],
): { entries: { id: string; version?: number; patches: P[] }[] } {
  return {
    entries: targets.map((t) =>
      t.version === undefined ? { id: t.id, patches } : { id: t.id, version: t.version, patches },
    ),
  }
}

/** The patch that sets a metadata property, or clears it (value null) when the value is empty. */
export function fieldPatch(propertyName: string, value: unknown) {
  const empty = value === '' || value === undefined || value === null
  return { operation: 'setMetadataProperty' as const, propertyName, value: empty ? null : value }
}

/** The shared value of a field over the entries, or `mixed` when they differ. */
export function sharedValue(values: readonly unknown[]): { mixed: true } | { mixed: false; value: unknown } {
  if (values.length === 0) return { mixed: false, value: undefined }
  const first = JSON.stringify(values[0] ?? null)
  return values.every((v) => JSON.stringify(v ?? null) === first)
    ? { mixed: false, value: values[0] }
    : { mixed: true }
}

/**
 * Sends the chunks one after the other (the server runs one transaction per entry; sequential chunks keep
 * one editor from holding every database connection), reporting the summary after each.
 */
export async function runChunks(
  targets: readonly Target[],
  size: number,
  send: (chunk: Target[]) => Promise<readonly BatchResult[]>,
  onProgress: (done: number, summary: Summary) => void,
): Promise<Summary> {
  let summary = EMPTY_SUMMARY
  let done = 0
  for (const part of chunk(targets, size)) {
    try {
      summary = addResults(summary, await send(part))
    } catch (err) {
      const e = err as { status?: number; message?: string }
      summary = failChunk(summary, part, e.status ?? 0, e.message ?? String(err))
    }
    done += part.length
    onProgress(done, summary)
  }
  return summary
}
