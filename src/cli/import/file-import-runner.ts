// `medialib import FILE --files DIR`: entries whose `asset.path` names a file under DIR. Per batch: hash the
// files, ask the server which hashes it holds, upload the missing ones (multipart, or tus above a size),
// and record each entry's outcome in the ledger (report + checkpoint) as the entry import does.
import type { EntryRecord } from '../../client/api-client.js'
import type { UploadClient, UploadFields, UploadOutcome } from '../../client/upload-client.js'
import type { ImportCounts } from './checkpoint.js'
import {
  countOutcome,
  type ImportRunOptions,
  type ImportRunResult,
  type ReportLine,
} from './import-runner.js'
import { entryOf, type InputItem } from './input-item.js'
import { inPool, LocalPathError, resolveInside, sha256File, type LocalFile } from './local-files.js'

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

export async function runFileImport(
  options: FileImportOptions,
): Promise<ImportRunResult & { bytes: ByteCounts }> {
  const { ledger, uploads, concurrency } = options
  const counts = ledger.counts
  const bytes: ByteCounts = { filesSent: 0, bytesSent: 0, bytesHashed: 0 }
  let skipped = 0

  /** Hashes the batch's files; a bad path or entry becomes that entry's failure. */
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
      p.sha256 = await sha256File(p.local.file)
      bytes.bytesHashed += p.local.size
    } catch (err) {
      if (!(err instanceof LocalPathError) && !(err as NodeJS.ErrnoException).code) throw err
      p.outcome = failed(item, 400, 'InvalidPath', (err as Error).message)
    }
  }

  async function send(batch: InputItem[]): Promise<void> {
    const pending: Pending[] = batch.map((item) => ({ item }))
    await inPool(pending, concurrency, prepare)
    const hashed = pending.filter((p) => !p.outcome)
    const known = await uploads.knownHashes([...new Set(hashed.map((p) => p.sha256 as string))])
    // The stored entries holding known bytes, to tell "this entry is there" from "another entry has them".
    const named = hashed.filter(
      (p) => known.has(p.sha256!) && (p.entry!.id ?? p.entry!.externalId) !== undefined,
    )
    const records = new Map<string, EntryRecord>()
    if (named.length > 0) {
      const ids = [...new Set(named.map((p) => known.get(p.sha256!) as string))]
      for (const r of await options.client.getByIds(ids)) records.set(r.id, r)
    }
    const toSend: Pending[] = []
    for (const p of hashed) {
      const holder = known.get(p.sha256!)
      if (holder !== undefined && sameIdentity(p.entry!, records.get(holder))) {
        p.outcome = {
          line: p.item.line,
          correlation: p.item.correlation,
          result: 'already-present',
          id: holder,
        }
      } else toSend.push(p)
    }
    await inPool(toSend, concurrency, async (p) => {
      const { file, size } = p.local!
      const fields = fieldsOf(p.entry!, p.local!)
      const outcome =
        size > options.resumableOver
          ? await uploads.uploadResumable(file, size, fields)
          : await uploads.uploadMultipart(file, size, fields)
      bytes.filesSent++
      bytes.bytesSent += outcome.ok ? outcome.bytesSent : size
      p.outcome = lineOf(p.item, outcome)
      options.onProgress?.(counts, bytes)
    })
    const report = pending.map((p) => countOutcome(counts, p.outcome as ReportLine, options.onFailure))
    ledger.commit(
      batch.map((item) => item.index),
      report,
    )
    options.onProgress?.(counts, bytes)
  }

  let batch: InputItem[] = []
  let interrupted = false
  let fatal: Error | undefined
  try {
    for await (const item of options.items) {
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
      await send(batch)
      batch = []
    }
    if (batch.length > 0) {
      if (options.shouldStop?.()) interrupted = true
      else await send(batch)
    }
  } catch (err) {
    fatal = err instanceof Error ? err : new Error(String(err))
  }
  return { counts, skipped, interrupted: interrupted && !fatal, bytes, ...(fatal ? { fatal } : {}) }
}
