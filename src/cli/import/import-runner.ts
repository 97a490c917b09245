import type { ApiClient, EntryRecord, ImportItem } from '../../client/api-client.js'
import { ApiError } from '../../client/http-retry.js'
import { sameContent } from '../../client/records.js'
import { emptyCounts, type ImportCounts } from './checkpoint.js'
import { entryOf, type InputItem } from './input-item.js'

/** Where results go: a report file with a checkpoint, or nowhere but the counts. */
export interface ImportLedger {
  readonly counts: ImportCounts
  readonly resumedFrom: number
  isDone(index: number): boolean
  commit(indices: readonly number[], lines: readonly string[]): void
  close(): void
}

/** The ledger without `--report`: counts only, nothing to resume from. */
export function countingLedger(): ImportLedger {
  return {
    counts: emptyCounts(),
    resumedFrom: 0,
    isDone: () => false,
    commit: () => undefined,
    close: () => undefined,
  }
}

/** One line of the report. */
export interface ReportLine {
  line: number
  correlation: string
  result: 'ok' | 'already-present' | 'failed'
  id?: string
  status?: number
  error?: string
  details?: Record<string, unknown>
}

export interface ImportRunOptions {
  client: ApiClient
  items: AsyncIterable<InputItem>
  ledger: ImportLedger
  batchSize: number
  concurrency: number
  /** Called after each batch with the running totals. */
  onProgress?: (counts: ImportCounts, skipped: number) => void
  /** Asked before each new batch: true stops reading, and the batches in flight finish. */
  shouldStop?: () => boolean
  /** Called with each failed entry's report line. */
  onFailure?: (line: ReportLine) => void
}

export interface ImportRunResult {
  counts: ImportCounts
  /** Entries skipped because an earlier run acknowledged them. */
  skipped: number
  interrupted: boolean
  /** A connection or whole-request error that ended the run early. */
  fatal?: Error
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * For the entries refused with UniqueIdViolation, fetches what is stored under their id (or, without an
 * id, their systemName and externalId) in one lookup per batch (one per systemName for externalIds),
 * and returns the stored record of each entry whose content is identical: those are already present.
 */
async function resolveConflicts(client: ApiClient, entries: Record<string, unknown>[]) {
  const ids = new Set<string>()
  const external = new Map<string, Set<string>>()
  for (const e of entries) {
    if (typeof e.id === 'string') ids.add(e.id)
    // The server splits lists on commas and trims: such externalIds cannot be looked up, so they fail.
    else if (typeof e.externalId === 'string' && typeof e.systemName === 'string') {
      if (/,|^\s|\s$/.test(e.externalId)) continue
      const set = external.get(e.systemName) ?? new Set<string>()
      set.add(e.externalId)
      external.set(e.systemName, set)
    }
  }
  const byId = new Map<string, EntryRecord>()
  const byExternal = new Map<string, EntryRecord>()
  if (ids.size > 0) for (const r of await client.getByIds([...ids])) byId.set(r.id, r)
  for (const [systemName, set] of external) {
    for (const r of await client.getByExternalIds(systemName, [...set])) {
      byExternal.set(JSON.stringify([r.systemName, r.externalId]), r)
    }
  }
  return (entry: Record<string, unknown>): { stored?: EntryRecord; same: boolean } => {
    const stored =
      typeof entry.id === 'string'
        ? byId.get(entry.id)
        : byExternal.get(JSON.stringify([entry.systemName, entry.externalId]))
    return { ...(stored ? { stored } : {}), same: stored !== undefined && sameContent(entry, stored) }
  }
}

async function outcomesOf(
  client: ApiClient,
  sent: InputItem[],
  results: ImportItem[],
): Promise<ReportLine[]> {
  // Only conflicting entries are parsed again: the others are never needed as objects.
  const parsed = new Map<InputItem, Record<string, unknown>>()
  sent.forEach((item, i) => {
    const r = results[i]
    const entry = r && !r.ok && r.error === 'UniqueIdViolation' ? entryOf(item) : undefined
    if (isObject(entry)) parsed.set(item, entry)
  })
  let lookup: Awaited<ReturnType<typeof resolveConflicts>> | undefined
  let lookupProblem: string | undefined
  if (parsed.size > 0) {
    try {
      lookup = await resolveConflicts(client, [...parsed.values()])
    } catch (err) {
      // Without read access the conflicts cannot be compared: they stay failures, and say why.
      if (!(err instanceof ApiError) || (err.status !== 401 && err.status !== 403)) throw err
      lookupProblem = `could not compare with the stored entry: ${err.message}`
    }
  }
  return sent.map((item, i): ReportLine => {
    const r = results[i] as ImportItem
    const base = { line: item.line, correlation: item.correlation }
    if (r.ok) return { ...base, result: 'ok', id: r.id }
    const entry = parsed.get(item)
    if (r.error === 'UniqueIdViolation' && lookup && entry) {
      const { stored, same } = lookup(entry)
      if (same && stored) return { ...base, result: 'already-present', id: stored.id }
      const details = {
        ...r.error_details,
        ...(stored ? { conflictsWith: stored.id, identical: false } : {}),
      }
      return { ...base, result: 'failed', status: r.status, error: r.error, details }
    }
    const details = {
      ...r.error_details,
      ...(lookupProblem && r.error === 'UniqueIdViolation' ? { note: lookupProblem } : {}),
    }
    return { ...base, result: 'failed', status: r.status, error: r.error, details }
  })
}

/** Counts an entry's outcome (a failure is passed to `onFailure` too); its report line. */
export function countOutcome(
  counts: ImportCounts,
  outcome: ReportLine,
  onFailure?: (line: ReportLine) => void,
): string {
  if (outcome.result === 'ok') counts.ok++
  else if (outcome.result === 'already-present') counts.alreadyPresent++
  else {
    counts.failed++
    const name = outcome.error ?? 'Unknown'
    counts.failedBy[name] = (counts.failedBy[name] ?? 0) + 1
    onFailure?.(outcome)
  }
  return JSON.stringify(outcome)
}

/** Sends the input in batches, `concurrency` at a time, and records each entry's outcome in the ledger. */
export async function runImport(options: ImportRunOptions): Promise<ImportRunResult> {
  const { client, ledger, batchSize, concurrency } = options
  const counts = ledger.counts
  let skipped = 0
  let fatal: Error | undefined
  const inFlight = new Set<Promise<void>>()

  async function send(batch: InputItem[]): Promise<void> {
    const readable = batch.filter((item) => item.parseError === undefined)
    const results =
      readable.length > 0 ? await client.importJson(readable.map((item) => item.text as string)) : []
    const outcomes = new Map<InputItem, ReportLine>()
    const lines = await outcomesOf(client, readable, results)
    readable.forEach((item, i) => outcomes.set(item, lines[i] as ReportLine))
    const report: string[] = []
    for (const item of batch) {
      const outcome = outcomes.get(item) ?? {
        line: item.line,
        correlation: `line: ${item.line}`,
        result: 'failed' as const,
        error: 'InvalidJson',
        details: { message: item.parseError },
      }
      report.push(countOutcome(counts, outcome, options.onFailure))
    }
    ledger.commit(
      batch.map((item) => item.index),
      report,
    )
    options.onProgress?.(counts, skipped)
  }

  function dispatch(batch: InputItem[]): void {
    const task = send(batch).catch((err: unknown) => {
      fatal ??= err instanceof Error ? err : new Error(String(err))
    })
    const tracked = task.finally(() => inFlight.delete(tracked))
    inFlight.add(tracked)
  }

  let batch: InputItem[] = []
  let interrupted = false
  for await (const item of options.items) {
    if (fatal) break
    if (ledger.isDone(item.index)) {
      skipped++
      continue
    }
    batch.push(item)
    if (batch.length < batchSize) continue
    while (inFlight.size >= concurrency) await Promise.race(inFlight)
    if (fatal) break
    if (options.shouldStop?.()) {
      interrupted = true
      batch = []
      break
    }
    dispatch(batch)
    batch = []
  }
  if (batch.length > 0 && !fatal && !options.shouldStop?.()) dispatch(batch)
  else if (batch.length > 0) interrupted = !fatal
  await Promise.all(inFlight)
  return { counts, skipped, interrupted: interrupted && !fatal, ...(fatal ? { fatal } : {}) }
}
