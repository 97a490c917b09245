import { setImmediate as nextTurn } from 'node:timers/promises'
import type { SourceObjectRecord, SourceRecord, SourceRepository } from '../db/source.repository.js'
import type {
  ListedObject,
  ObjectOutcome,
  ObjectResult,
  ScanOptions,
  ScanRecord,
  ScanTask,
  SourceScanRepository,
} from '../db/source-scan.types.js'
import type { ImportService } from '../media/import.service.js'
import type { LibraryService } from '../media/library.service.js'
import type { CompiledMediaType } from '../media/media-types/metadata-validator.js'
import { semaphore } from '../semaphore.js'
import type { createIngest, IngestOptions } from './scan-ingest.js'
import { isSidecar } from './sidecar.js'
import type { SourceReader } from './source-reader.js'

/** Objects of one batch read (and probed) at once. */
export const BATCH_READS = 8

/** What the worker calls to run scan tasks beside URL-import items. */
export interface ScanTaskRunner {
  /** Claims due tasks fairly across projects (`SourceScanRepository.claim`, without a scan filter). */
  claim: SourceScanRepository['claim']
  renew(worker: string, task: ScanTask, leaseUntil: Date): Promise<void>
  /** Runs one claimed task to its end: done (results written), queued again with a delay, or failed. */
  run(task: ScanTask, worker: string, wrap?: (reader: SourceReader) => SourceReader): Promise<void>
  /** Finishes scans whose last task's worker died before finishing the scan. */
  sweep(): Promise<void>
}

export interface ScanTaskDeps {
  scans: SourceScanRepository
  sources: SourceRepository
  open(source: NonNullable<Awaited<ReturnType<SourceRepository['get']>>>): Promise<SourceReader>
  library: Pick<LibraryService, 'listByExternalIds'>
  importer: Pick<ImportService, 'importEntries'>
  mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  ingest: ReturnType<typeof createIngest>
  maxRetries: number
  retryBaseMs: number
  logger?: { error(o: object, m: string): void }
  now?: () => Date
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** Splits a page into batches of `size`. */
const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Whether a listed object must be read: new, changed, missing before, or failed before with `retryFailed`. */
function needsRead(
  object: ListedObject,
  before: SourceObjectRecord | undefined,
  options: ScanOptions,
): boolean {
  const same = before?.state === 'present' && before.size === object.size && before.version === object.version
  return !same || (options.retryFailed && !before.entryId)
}

export function createScanTaskRunner(deps: ScanTaskDeps): ScanTaskRunner {
  const now = deps.now ?? (() => new Date())
  const { scans } = deps

  /** The scan and its source's reader; undefined when the source was removed (the scan went with it). */
  const context = async (task: ScanTask) => {
    const scan = await scans.getById(task.scanId)
    if (!scan) return undefined
    const source = await deps.sources.get(scan.project, scan.source)
    if (!source) return undefined
    return { scan, source, reader: await deps.open(source) }
  }

  const runList = async (
    task: Extract<ScanTask, { kind: 'list' }>,
    worker: string,
    scan: ScanRecord,
    reader: SourceReader,
  ) => {
    const { pageSize, batchSize } = scan.options
    const page: ListedObject[] = []
    for await (const object of reader.list({
      ...(task.after !== null ? { after: task.after } : {}),
      pageSize,
    })) {
      page.push({ path: object.path, size: object.size, version: object.version })
      if (page.length >= pageSize) break
    }
    const next = page.length >= pageSize ? page[page.length - 1]!.path : null
    // Sidecars are read beside the files they describe, not scanned as objects.
    const objects = page.filter((o) => !isSidecar(o.path))
    // Unchanged objects are settled here, with one lookup for the page: only the others make batches.
    const known = await deps.sources.objectsAt(
      scan.project,
      scan.source,
      objects.map((o) => o.path),
    )
    // Unchanged objects are marked seen by this scan and counted, without a result row each.
    const unchanged: string[] = []
    const toRead = objects.filter((o) => {
      if (needsRead(o, known.get(o.path), scan.options)) return true
      unchanged.push(o.path)
      return false
    })
    return scans.completeList(task, worker, now(), chunks(toRead, batchSize), next, {
      source: scan.source,
      seq: scan.seq,
      paths: unchanged,
    })
  }

  const runBatch = async (
    task: Extract<ScanTask, { kind: 'batch' }>,
    worker: string,
    scan: ScanRecord,
    reader: SourceReader,
    source: SourceRecord,
  ) => {
    const { project, source: handle, options } = scan
    const paths = task.objects.map((o) => o.path)
    // One statement each for what the batch needs to know: the recorded objects, the entries by identity.
    const known = await deps.sources.objectsAt(project, handle, paths)
    const toRead = task.objects.filter((o) => needsRead(o, known.get(o.path), options))
    const existing = toRead.length
      ? new Map(
          (
            await deps.library.listByExternalIds(
              project,
              handle,
              toRead.map((o) => o.path),
            )
          ).map((e) => [e.externalId as string, e.id]),
        )
      : new Map<string, string>()
    const reading = new Set(toRead.map((o) => o.path))
    const reads = toRead.length > 0 && !options.dryRun
    const mediaTypes = reads ? await deps.mediaTypesOf(project) : new Map()
    // The scan's metadata file's rows for the objects read (one statement), when it was given one.
    const fileRows =
      reads && (options.metadataRows ?? 0) > 0
        ? await scans.metadataAt(
            scan.id,
            toRead.map((o) => o.path),
          )
        : new Map<string, Record<string, unknown>>()
    const sourceOptions = source.options as Pick<IngestOptions, 'copy' | 'mediaTypesByExtension'>
    const save: SourceObjectRecord[] = []
    const results: ObjectResult[] = []
    const creating: {
      object: ListedObject
      sha256: string
      entry: Record<string, unknown>
      note?: string
    }[] = []
    /**
     * Records an object read and its result. A failed object is recorded too, so that the next scan does not
     * read it again while it is unchanged (unless `retryFailed`).
     */
    const settle = (
      object: ListedObject,
      done: { outcome: ObjectOutcome; entryId: string; sha256: string; note?: string } | { reason: string },
    ) => {
      const ok = 'entryId' in done
      save.push({
        ...object,
        sha256: ok ? done.sha256 : null,
        entryId: ok ? done.entryId : null,
        state: 'present',
      })
      results.push(
        ok
          ? {
              path: object.path,
              outcome: done.outcome,
              entryId: done.entryId,
              ...(done.note !== undefined ? { reason: done.note } : {}),
            }
          : { path: object.path, outcome: 'failed', reason: done.reason, entryId: null },
      )
    }
    const limit = semaphore(BATCH_READS)
    const ingestOne = async (object: ListedObject) => {
      const before = known.get(object.path)
      if (!reading.has(object.path)) {
        results.push({ path: object.path, outcome: 'unchanged', entryId: before?.entryId ?? null })
        return
      }
      const entryId = before?.entryId ?? existing.get(object.path)
      // Created or updated as the source's record knew the object: an entry adopted by identity (left by a
      // killed attempt of this batch, or an earlier import) counts as created.
      const outcome: ObjectOutcome = before?.entryId ? 'updated' : 'created'
      if (options.dryRun) {
        results.push({ path: object.path, outcome, entryId: entryId ?? null })
        return
      }
      const rows = fileRows.get(object.path)
      const made = await limit(async () => {
        // A turn of the event loop per object: small reads and probes complete synchronously, and a batch of
        // them would otherwise hold the process (its HTTP requests, timers) for the whole batch.
        await nextTurn()
        return deps.ingest(project, handle, reader, object.path, entryId, mediaTypes, {
          ...sourceOptions,
          ...(rows ? { metadata: rows } : {}),
          ...(options.invalidMetadata ? { invalidMetadata: options.invalidMetadata } : {}),
        })
      })
      if (made.ok && 'create' in made) {
        creating.push({
          object,
          sha256: made.sha256,
          entry: made.create,
          ...(made.note !== undefined ? { note: made.note } : {}),
        })
        return
      }
      settle(
        object,
        made.ok ? { outcome, entryId: made.entryId, sha256: made.sha256 } : { reason: made.reason },
      )
    }
    // BATCH_READS objects read at once; a fatal error (the database is gone) fails the task once all settle.
    const settled = await Promise.allSettled(task.objects.map(ingestOne))
    const fatal = settled.find((r) => r.status === 'rejected')
    if (fatal) throw fatal.reason
    // Imported in listing order, whatever order the reads finished in.
    const order = new Map(task.objects.map((o, i) => [o.path, i]))
    creating.sort((a, b) => order.get(a.object.path)! - order.get(b.object.path)!)
    // The batch's new entries in one import (one transaction): a kill before it leaves none of them.
    if (creating.length > 0) {
      const imported = await deps.importer.importEntries(
        project,
        mediaTypes,
        creating.map((c) => c.entry),
      )
      creating.forEach((c, i) => {
        const r = imported[i]
        settle(
          c.object,
          r?.ok
            ? {
                outcome: 'created',
                entryId: r.entry.id,
                sha256: c.sha256,
                ...(c.note !== undefined ? { note: c.note } : {}),
              }
            : { reason: `refused: ${r && !r.ok ? JSON.stringify(r.failure) : 'no result'}` },
        )
      })
    }
    // The batch's objects recorded already and not saved anew (unchanged by now, or a dry run's): seen.
    const saved = new Set(save.map((o) => o.path))
    return scans.completeBatch(
      task,
      worker,
      now(),
      { project, source: handle, seq: scan.seq, paths: paths.filter((p) => known.has(p) && !saved.has(p)) },
      save,
      results,
    )
  }

  return {
    claim: (worker, limit, at, leaseUntil, fairness) => scans.claim(worker, limit, at, leaseUntil, fairness),
    renew: (worker, task, leaseUntil) => scans.renew(worker, task, leaseUntil),
    async run(task, worker, wrap) {
      // A turn of the event loop between tasks (see ingestOne): requests and timers are served in between.
      await nextTurn()
      try {
        const found = await context(task)
        if (!found) return
        const reader = wrap ? wrap(found.reader) : found.reader
        const done =
          task.kind === 'list'
            ? await runList(task, worker, found.scan, reader)
            : await runBatch(task, worker, found.scan, reader, found.source)
        if (done) await scans.finishIfDone(task.scanId, now())
      } catch (err) {
        deps.logger?.error({ err, scan: task.scanId, task: task.idx }, 'scan task failed')
        const retry =
          task.attempts < deps.maxRetries
            ? new Date(now().getTime() + deps.retryBaseMs * 2 ** (task.attempts - 1))
            : null
        await scans.fail(task, worker, now(), message(err), retry)
        if (!retry) await scans.finishIfDone(task.scanId, now())
      }
    },
    async sweep() {
      for (const id of await scans.listDoneUnfinished(100)) await scans.finishIfDone(id, now())
    },
  }
}

export type { ScanOptions }
