// `medialib import FILE --files DIR`: entries whose `asset.path` names a file under DIR. Per batch: hash the
// files, ask the server which hashes it holds, upload the missing ones (multipart, several files a request,
// or tus above a size), and record each entry's outcome in the ledger (report + checkpoint) as the entry
// import does. The steps overlap: a batch is worked in groups, each group asks and uploads as soon as it is
// hashed while the next ones hash, and the next batch starts before the last one is done.
import type { EntryRecord } from '../../client/api-client.js'
import { packMultipart } from '../../client/multipart-body.js'
import type { OutgoingFile, UploadClient, UploadFields, UploadOutcome } from '../../client/upload-client.js'
import type { ImportCounts } from './checkpoint.js'
import {
  countOutcome,
  type ImportRunOptions,
  type ImportRunResult,
  type ReportLine,
} from './import-runner.js'
import { entryOf, type InputItem } from './input-item.js'
import { semaphore } from '../../semaphore.js'
import { LocalPathError, resolveInside, sha256File, type LocalFile } from './local-files.js'

/** Bytes of the run: hashed locally, and sent to the server (0 on a re-run of a finished import). */
export interface ByteCounts {
  filesSent: number
  bytesSent: number
  bytesHashed: number
}

/** The entry import's options (same meaning), with the upload client, the root and the byte counts. */
export interface FileImportOptions extends Pick<
  ImportRunOptions,
  'client' | 'items' | 'ledger' | 'batchSize' | 'concurrency' | 'shouldStop' | 'onFailure'
> {
  uploads: UploadClient
  /** The real path of `--files`. */
  root: string
  /** Files larger than this go by tus (resumable), the others by multipart. */
  resumableOver: number
  onProgress?: (counts: ImportCounts, bytes: ByteCounts) => void
}

/** One entry of a batch on its way: its file, hash and, at the end, its report line. */
interface Pending {
  item: InputItem
  entry?: Record<string, unknown>
  local?: LocalFile
  sha256?: string
  /** The file's bytes as hashed, kept until they are sent (within KEPT_BYTES). */
  bytes?: Buffer
  outcome?: ReportLine
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

function failed(item: InputItem, status: number, error: string, message: string): ReportLine {
  return {
    line: item.line,
    correlation: item.correlation,
    result: 'failed',
    status,
    error,
    details: { message },
  }
}

function fieldsOf(entry: Record<string, unknown>, local: LocalFile): UploadFields {
  const asset = entry.asset as Record<string, unknown>
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined)
  const name = str(asset.filename) ?? String(asset.path).split(/[\\/]/).pop() ?? local.file
  const fields: UploadFields = { filename: name }
  for (const key of ['mediaType', 'id', 'systemName', 'externalId'] as const) {
    const value = str(entry[key])
    if (value !== undefined) fields[key] = value
  }
  if (isObject(entry.metadata)) fields.metadata = entry.metadata
  return fields
}

/** True when the stored entry holding the bytes is this entry (same id, or same systemName and externalId). */
function sameIdentity(entry: Record<string, unknown>, record: EntryRecord | undefined): boolean {
  if (typeof entry.id === 'string') return record?.id === entry.id
  if (typeof entry.externalId === 'string')
    return record?.externalId === entry.externalId && record.systemName === entry.systemName
  // Nothing names the entry: the bytes being there is all that can be known.
  return true
}

function lineOf(item: InputItem, outcome: UploadOutcome): ReportLine {
  const base = { line: item.line, correlation: item.correlation }
  if (outcome.ok) return { ...base, result: outcome.duplicate ? 'already-present' : 'ok', id: outcome.id }
  const details = outcome.error_details ?? {}
  return { ...base, result: 'failed', status: outcome.status, error: outcome.error, details }
}

/** Entries of a batch that go through hashing, the hash question and the upload together. */
const GROUP = 100
/** Batches worked at once: the next one hashes while the last one's uploads finish. */
const BATCHES_IN_FLIGHT = 2
/** File bytes kept in memory between hashing and sending at most; files beyond are read again to send. */
const KEPT_BYTES = 64 * 1024 * 1024

export async function runFileImport(
  options: FileImportOptions,
): Promise<ImportRunResult & { bytes: ByteCounts }> {
  const { ledger, uploads, concurrency } = options
  const counts = ledger.counts
  const bytes: ByteCounts = { filesSent: 0, bytesSent: 0, bytesHashed: 0 }
  let skipped = 0
  let kept = 0
  const release = (p: Pending) => {
    if (p.bytes) kept -= p.bytes.length
    p.bytes = undefined
  }
  // `--concurrency` files hashed at a time, and as many upload requests in flight, across batches.
  const hashing = semaphore(concurrency)
  const sending = semaphore(concurrency)
  /** Set by the first error that ends the run: work not started yet is not started. */
  let failure: Error | undefined
  const guard = async <T>(job: () => Promise<T>): Promise<T> => {
    if (failure) throw failure
    return job()
  }

  /** Hashes one entry's file; a bad path or entry becomes that entry's failure. */
  async function prepare(p: Pending): Promise<void> {
    const { item } = p
    if (item.parseError !== undefined) {
      p.outcome = failed(item, 400, 'InvalidJson', item.parseError)
      return
    }
    const entry = entryOf(item)
    if (!isObject(entry) || !isObject(entry.asset)) {
      p.outcome = failed(item, 400, 'ValidationError', 'the entry needs an asset with a path')
      return
    }
    p.entry = entry
    try {
      p.local = await resolveInside(options.root, entry.asset.path)
      const read = await sha256File(p.local.file, p.local.size)
      p.sha256 = read.sha256
      if (read.bytes) {
        // The size is what was read and hashed (the file may have changed since its stat).
        p.local.size = read.bytes.length
        if (kept + read.bytes.length <= KEPT_BYTES) {
          p.bytes = read.bytes
          kept += read.bytes.length
        }
      }
      bytes.bytesHashed += p.local.size
    } catch (err) {
      if (!(err instanceof LocalPathError) && !(err as NodeJS.ErrnoException).code) throw err
      p.outcome = failed(item, 400, 'InvalidPath', (err as Error).message)
    }
  }

  /** Records what the server answered for files sent. */
  function sent(files: readonly Pending[], outcomes: readonly UploadOutcome[]) {
    files.forEach((p, i) => {
      const outcome = outcomes[i]!
      release(p)
      bytes.filesSent++
      bytes.bytesSent += outcome.ok ? outcome.bytesSent : p.local!.size
      p.outcome = lineOf(p.item, outcome)
    })
    options.onProgress?.(counts, bytes)
  }

  /** One group: hash, ask which bytes the server has, upload the others. */
  async function group(pending: Pending[]): Promise<void> {
    await settleAll(pending.map((p) => hashing(() => guard(() => prepare(p)))))
    const hashed = pending.filter((p) => !p.outcome)
    if (hashed.length === 0) return
    const known = await guard(() => uploads.knownHashes([...new Set(hashed.map((p) => p.sha256!))]))
    // The stored entries holding known bytes, to tell "this entry is there" from "another entry has them".
    const named = hashed.filter(
      (p) => known.has(p.sha256!) && (p.entry!.id ?? p.entry!.externalId) !== undefined,
    )
    const records = new Map<string, EntryRecord>()
    if (named.length > 0) {
      const ids = [...new Set(named.map((p) => known.get(p.sha256!) as string))]
      for (const r of await guard(() => options.client.getByIds(ids))) records.set(r.id, r)
    }
    const small: Pending[] = []
    const large: Pending[] = []
    for (const p of hashed) {
      const holder = known.get(p.sha256!)
      if (holder !== undefined && sameIdentity(p.entry!, records.get(holder))) {
        release(p)
        p.outcome = {
          line: p.item.line,
          correlation: p.item.correlation,
          result: 'already-present',
          id: holder,
        }
      } else (p.local!.size > options.resumableOver ? large : small).push(p)
    }
    const outgoing = new Map<OutgoingFile, Pending>()
    for (const p of small) {
      const { file, size } = p.local!
      const fields = fieldsOf(p.entry!, p.local!)
      outgoing.set(p.bytes ? { file, size, fields, bytes: p.bytes } : { file, size, fields }, p)
    }
    await settleAll([
      ...packMultipart([...outgoing.keys()]).map((files) =>
        sending(() =>
          guard(async () => {
            sent(
              files.map((f) => outgoing.get(f)!),
              await uploads.uploadMultipart(files),
            )
          }),
        ),
      ),
      ...large.map((p) =>
        sending(() =>
          guard(async () => {
            const { file, size } = p.local!
            sent([p], [await uploads.uploadResumable(file, size, fieldsOf(p.entry!, p.local!))])
          }),
        ),
      ),
    ])
  }

  async function send(batch: InputItem[]): Promise<void> {
    const pending: Pending[] = batch.map((item) => ({ item }))
    const groups: Pending[][] = []
    for (let i = 0; i < pending.length; i += GROUP) groups.push(pending.slice(i, i + GROUP))
    try {
      await settleAll(groups.map(group))
    } finally {
      pending.forEach(release)
    }
    const report = pending.map((p) => countOutcome(counts, p.outcome as ReportLine, options.onFailure))
    ledger.commit(
      batch.map((item) => item.index),
      report,
    )
    options.onProgress?.(counts, bytes)
  }

  const inFlight = new Set<Promise<void>>()
  const start = (batch: InputItem[]) => {
    const running: Promise<void> = send(batch)
      .catch((err: unknown) => {
        failure ??= err instanceof Error ? err : new Error(String(err))
      })
      .finally(() => inFlight.delete(running))
    inFlight.add(running)
  }
  let batch: InputItem[] = []
  let interrupted = false
  try {
    for await (const item of options.items) {
      if (failure) break
      if (ledger.isDone(item.index)) {
        skipped++
        continue
      }
      batch.push(item)
      if (batch.length < options.batchSize) continue
      if (options.shouldStop?.()) {
        interrupted = true
        batch = []
        break
      }
      start(batch)
      batch = []
      while (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight)
    }
    if (batch.length > 0 && !failure) {
      if (options.shouldStop?.()) interrupted = true
      else start(batch)
    }
  } catch (err) {
    failure ??= err instanceof Error ? err : new Error(String(err))
  }
  while (inFlight.size > 0) await Promise.race(inFlight)
  const fatal = failure
  return { counts, skipped, interrupted: interrupted && !fatal, bytes, ...(fatal ? { fatal } : {}) }
}

/** Waits for every job, then throws the first error: nothing of a failed step is left running. */
async function settleAll(jobs: readonly Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(jobs)
  const rejected = settled.find((s) => s.status === 'rejected')
  if (rejected) throw rejected.reason
}
