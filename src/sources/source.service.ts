import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { SourceRecord, SourceRepository } from '../db/source.repository.js'
import type { ScanOptions, SourceScanRepository } from '../db/source-scan.repository.js'
import { UsageError } from '../errors.js'
import type { ImportService } from '../media/import.service.js'
import type { LibraryService } from '../media/library.service.js'
import type { CompiledMediaType } from '../media/media-types/metadata-validator.js'
import { createIngest } from './scan-ingest.js'
import { createScanTaskRunner, scanStatusOf, type ScanStatus, type ScanTaskRunner } from './scan-tasks.js'
import type { SourceReader } from './source-reader.js'
import type { SourceReaders } from './source-readers.js'

export type { ScanStatus } from './scan-tasks.js'

export type SourceSpec =
  | { kind: 'disk'; dir: string }
  | {
      kind: 's3'
      bucket: string
      prefix: string
      endpoint?: string
      region?: string
      forcePathStyle?: boolean
    }

export interface SourceService {
  add(project: string, handle: string, spec: SourceSpec): Promise<SourceRecord>
  list(project: string): Promise<SourceRecord[]>
  remove(project: string, handle: string): Promise<void>
  /** Queues a scan: a durable job that workers run (`medialib worker`, or serve's own worker). */
  startScan(project: string, handle: string, options?: Partial<ScanOptions>): Promise<ScanStatus>
  /** A scan's state, counts and failures; undefined when the source has no such scan. */
  scanStatus(project: string, handle: string, id: string): Promise<ScanStatus | undefined>
  /** The source's latest scans, newest first. */
  scans(project: string, handle: string, limit?: number): Promise<ScanStatus[]>
  /**
   * Runs a queued scan's tasks in this process until it is finished (workers may take some of them too).
   * `wrap` sees the reader the tasks use (tests count its reads).
   */
  runScan(
    status: Pick<ScanStatus, 'id'>,
    options?: { wrap?: (reader: SourceReader) => SourceReader },
  ): Promise<void>
  /** `startScan` then `runScan`: the scan's status once finished. */
  scan(
    project: string,
    handle: string,
    options?: Partial<ScanOptions> & { wrap?: (reader: SourceReader) => SourceReader },
  ): Promise<ScanStatus>
  /** What a worker needs to run scan tasks beside URL-import items. */
  readonly tasks: ScanTaskRunner
  /** The reader of a project's source, or undefined when there is none (serving in place). */
  readerOf(project: string, handle: string): Promise<SourceReader | undefined>
  /** Those of the project's `entryIds` whose source object vanished (the UI's "missing" badge). */
  missingEntryIds(project: string, entryIds: readonly string[]): Promise<string[]>
}

const HANDLE = /^[a-z][a-z0-9-]*$/
export const DEFAULT_SCAN_OPTIONS: ScanOptions = {
  dryRun: false,
  retryFailed: false,
  pageSize: 1000,
  batchSize: 250,
}

export function createSourceService(deps: {
  sources: SourceRepository
  scans: SourceScanRepository
  importer: Pick<ImportService, 'importEntries'>
  library: Pick<LibraryService, 'patch' | 'listByExternalIds'>
  mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  assetUrl(key: string): string
  readers: SourceReaders
  tmpDir: string
  isConnectionError(err: unknown): boolean
  jobs: { leaseMs: number; maxRetries: number; retryBaseMs: number }
  /** A scan was queued: wake the workers of this process. */
  onQueued?: () => void
}): SourceService {
  const { open } = deps.readers
  const tasks = createScanTaskRunner({
    scans: deps.scans,
    sources: deps.sources,
    open,
    library: deps.library,
    importer: deps.importer,
    mediaTypesOf: deps.mediaTypesOf,
    ingest: createIngest({ ...deps, isFatal: deps.isConnectionError }),
    maxRetries: deps.jobs.maxRetries,
    retryBaseMs: deps.jobs.retryBaseMs,
  })

  const getOrFail = async (project: string, handle: string) => {
    const source = await deps.sources.get(project, handle)
    if (!source) throw new UsageError(`No source '${handle}' in project '${project}'`)
    return source
  }

  const service: SourceService = {
    async add(project, handle, spec) {
      if (!HANDLE.test(handle))
        throw new UsageError(`A source handle must match ${HANDLE.source}: '${handle}'`)
      const record =
        spec.kind === 'disk'
          ? { kind: 'disk' as const, root: path.resolve(spec.dir), options: {} }
          : {
              kind: 's3' as const,
              root: spec.bucket,
              options: {
                prefix: spec.prefix,
                ...(spec.endpoint !== undefined ? { endpoint: spec.endpoint } : {}),
                ...(spec.region !== undefined ? { region: spec.region } : {}),
                ...(spec.forcePathStyle !== undefined ? { forcePathStyle: spec.forcePathStyle } : {}),
              },
            }
      await (await open(record)).check()
      if (!(await deps.sources.add({ project, handle, ...record }))) {
        throw new UsageError(`Project '${project}' already has a source '${handle}'`)
      }
      return getOrFail(project, handle)
    },
    list: (project) => deps.sources.list(project),
    async remove(project, handle) {
      if (!(await deps.sources.remove(project, handle))) {
        throw new UsageError(`No source '${handle}' in project '${project}'`)
      }
    },
    async startScan(project, handle, options = {}) {
      await getOrFail(project, handle)
      const chosen = { ...DEFAULT_SCAN_OPTIONS, ...options }
      for (const size of [chosen.pageSize, chosen.batchSize]) {
        if (!Number.isInteger(size) || size < 1 || size > 10_000)
          throw new UsageError('Page and batch sizes must be integers from 1 to 10000')
      }
      const id = randomUUID()
      await deps.scans.create({ id, project, source: handle, options: chosen }, new Date())
      deps.onQueued?.()
      return (await service.scanStatus(project, handle, id))!
    },
    async scanStatus(project, handle, id) {
      const scan = await deps.scans.get(project, handle, id)
      return scan ? scanStatusOf(deps.scans, scan) : undefined
    },
    async scans(project, handle, limit = 20) {
      await getOrFail(project, handle)
      return Promise.all(
        (await deps.scans.list(project, handle, limit)).map((s) => scanStatusOf(deps.scans, s)),
      )
    },
    async runScan(status, options = {}) {
      const worker = `${process.pid}-scan-${randomUUID().slice(0, 8)}`
      const { leaseMs } = deps.jobs
      for (;;) {
        const scan = await deps.scans.getById(status.id)
        if (!scan || scan.state !== 'running') return
        const [task] = await deps.scans.claim(
          worker,
          1,
          new Date(),
          new Date(Date.now() + leaseMs),
          {
            maxInFlightPerProject: 0,
          },
          status.id,
        )
        if (!task) {
          // Another process holds the remaining tasks (or the last one just ended): wait for it.
          await tasks.sweep()
          await new Promise((r) => setTimeout(r, 100))
          continue
        }
        const renew = setInterval(
          () => {
            tasks.renew(worker, task, new Date(Date.now() + leaseMs)).catch(() => undefined)
          },
          Math.max(50, leaseMs / 3),
        )
        try {
          await tasks.run(task, worker, options.wrap)
        } finally {
          clearInterval(renew)
        }
      }
    },
    async scan(project, handle, options = {}) {
      const { wrap, ...scanOptions } = options
      const started = await service.startScan(project, handle, scanOptions)
      await service.runScan(started, wrap ? { wrap } : {})
      return (await service.scanStatus(project, handle, started.id))!
    },
    tasks,
    readerOf: (project, handle) => deps.readers.readerOf(project, handle),
    missingEntryIds: (project, entryIds) => deps.sources.missingEntryIds(project, entryIds),
  }
  return service
}
