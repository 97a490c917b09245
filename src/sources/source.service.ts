import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { SourceRecord, SourceRepository } from '../db/source.repository.js'
import type { SourceScheduleRepository } from '../db/source-schedule.repository.js'
import type { PathMetadata, ScanOptions, SourceScanRepository } from '../db/source-scan.types.js'
import { UsageError } from '../errors.js'
import type { ImportService } from '../media/import.service.js'
import type { LibraryService } from '../media/library.service.js'
import type { CompiledMediaType } from '../media/media-types/metadata-validator.js'
import type { ProjectStorage } from '../storage/project-storage.js'
import { createIngest } from './scan-ingest.js'
import { scanStatusOf, type ScanStatus } from './scan-status.js'
import { createScanTaskRunner, type ScanTaskRunner } from './scan-tasks.js'
import type { SourceReader } from './source-reader.js'
import type { SourceReaders } from './source-readers.js'

export type { ScanStatus } from './scan-status.js'
export type { PathMetadata } from '../db/source-scan.types.js'

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

/** What a source does beyond where it lies (stored in its options, the schedule in its own columns). */
export interface SourceSettings {
  /** Scanned bytes are copied into the project's blob store: entries' assets are the copies. */
  copy?: boolean
  /** `{pdf: 'file'}`: the media type by extension, before the sniffed type's default. */
  mediaTypesByExtension?: Record<string, string>
  /** Rescan every so many ms (a worker's idle sweep starts it); null or absent: no schedule. */
  rescanEveryMs?: number | null
}

export interface SourceService {
  add(project: string, handle: string, spec: SourceSpec, settings?: SourceSettings): Promise<SourceRecord>
  /** Changes a source's schedule (null: none); the next scan comes one interval from now. */
  update(
    project: string,
    handle: string,
    changes: Pick<SourceSettings, 'rescanEveryMs'>,
  ): Promise<SourceRecord>
  /** Starts the scans of sources whose schedule is due (a worker's idle sweep calls it); how many started. */
  startDueScans(now?: Date): Promise<number>
  list(project: string): Promise<SourceRecord[]>
  remove(project: string, handle: string): Promise<void>
  /**
   * Queues a scan: a durable job that workers run (`medialib worker`, or serve's own worker). `metadata`:
   * the rows of a metadata file, stored with the scan for the workers.
   */
  startScan(
    project: string,
    handle: string,
    options?: Partial<ScanOptions>,
    metadata?: readonly PathMetadata[],
  ): Promise<ScanStatus>
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
  schedules: SourceScheduleRepository
  /** The projects' blob stores (sources with `copy`). */
  blobs?: Pick<ProjectStorage, 'files'>
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
  const runner = createScanTaskRunner({
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

  /** The source's settings as stored in its options; a media type by extension must exist. */
  const settingsOptions = async (project: string, settings: SourceSettings) => {
    const byExtension: Record<string, string> = {}
    const entries = Object.entries(settings.mediaTypesByExtension ?? {})
    if (entries.length > 0) {
      const types = await deps.mediaTypesOf(project)
      for (const [ext, mediaType] of entries) {
        const name = ext.replace(/^\./, '').toLowerCase()
        if (!/^[a-z0-9]{1,16}$/.test(name)) throw new UsageError(`Not a file extension: '${ext}'`)
        if (!types.has(mediaType))
          throw new UsageError(`Project '${project}' has no media type '${mediaType}' (for .${name})`)
        byExtension[name] = mediaType
      }
    }
    return {
      ...(settings.copy ? { copy: true } : {}),
      ...(entries.length > 0 ? { mediaTypesByExtension: byExtension } : {}),
    }
  }

  const startDueScans = async (now = new Date()) => {
    let started = 0
    for (const due of await deps.schedules.due(now, 20)) {
      const scan = { id: randomUUID(), options: DEFAULT_SCAN_OPTIONS }
      if (await deps.schedules.start(due, scan, now)) started++
    }
    if (started > 0) deps.onQueued?.()
    return started
  }
  // A worker's idle sweep also starts the scheduled scans that are due.
  const tasks: ScanTaskRunner = {
    ...runner,
    async sweep() {
      await runner.sweep()
      await startDueScans()
    },
  }

  const service: SourceService = {
    async add(project, handle, spec, settings = {}) {
      if (!HANDLE.test(handle))
        throw new UsageError(`A source handle must match ${HANDLE.source}: '${handle}'`)
      const extra = await settingsOptions(project, settings)
      const record =
        spec.kind === 'disk'
          ? { kind: 'disk' as const, root: path.resolve(spec.dir), options: extra }
          : {
              kind: 's3' as const,
              root: spec.bucket,
              options: {
                prefix: spec.prefix,
                ...(spec.endpoint !== undefined ? { endpoint: spec.endpoint } : {}),
                ...(spec.region !== undefined ? { region: spec.region } : {}),
                ...(spec.forcePathStyle !== undefined ? { forcePathStyle: spec.forcePathStyle } : {}),
                ...extra,
              },
            }
      await (await open(record)).check()
      const schedule = settings.rescanEveryMs ?? null
      if (!(await deps.sources.add({ project, handle, ...record, rescanEveryMs: schedule }))) {
        throw new UsageError(`Project '${project}' already has a source '${handle}'`)
      }
      return getOrFail(project, handle)
    },
    async update(project, handle, changes) {
      await getOrFail(project, handle)
      await deps.schedules.set(project, handle, changes.rescanEveryMs ?? null, new Date())
      return getOrFail(project, handle)
    },
    startDueScans,
    list: (project) => deps.sources.list(project),
    async remove(project, handle) {
      if (!(await deps.sources.remove(project, handle))) {
        throw new UsageError(`No source '${handle}' in project '${project}'`)
      }
    },
    async startScan(project, handle, options = {}, metadata = []) {
      await getOrFail(project, handle)
      const chosen = {
        ...DEFAULT_SCAN_OPTIONS,
        ...options,
        ...(metadata.length > 0 ? { metadataRows: metadata.length } : {}),
      }
      for (const size of [chosen.pageSize, chosen.batchSize]) {
        if (!Number.isInteger(size) || size < 1 || size > 10_000)
          throw new UsageError('Page and batch sizes must be integers from 1 to 10000')
      }
      if (chosen.invalidMetadata !== undefined && !['keep', 'refuse'].includes(chosen.invalidMetadata))
        throw new UsageError(`--invalid-metadata is keep or refuse: '${String(chosen.invalidMetadata)}'`)
      const id = randomUUID()
      await deps.scans.create({ id, project, source: handle, options: chosen }, new Date(), metadata)
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
          await runner.sweep()
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
