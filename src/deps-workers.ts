// The URL-import workers: the wiring of `createWorker` (item processor, housekeeping) that deps.ts, the
// composition root, calls.
import path from 'node:path'
import type { Config } from './config.js'
import type { EntryEventRepository } from './db/entry-event.repository.js'
import type { ImportJobRepository } from './db/import-job.repository.js'
import type { JobQueueRepository } from './db/job-queue.repository.js'
import type { MediaEntryRepository } from './db/media-entry.repository.js'
import type { WebhookOutboxRepository } from './db/webhook-outbox.repository.js'
import { actingAs, type ActorContext } from './events/actor-context.js'
import { createItemProcessor, type ItemProcessorDeps } from './jobs/item-processor.js'
import { sweepTmpDir } from './jobs/tmp-dir.js'
import type { SafeFetcher } from './jobs/safe-fetcher.js'
import { createWorker, type Worker, type WorkerOptions } from './jobs/worker.js'
import type { DeletionRoutineService } from './media/deletion-routines.service.js'
import type { ImportService } from './media/import.service.js'
import type { LibraryService } from './media/library.service.js'
import type { TrashService } from './media/trash.service.js'
import type { UploadDeps } from './deps-uploads.js'
import { assetUrlOf } from './storage/asset-url.js'
import type { ProjectStorage } from './storage/project-storage.js'

/** What `createWorker` lets a caller change: the worker's own options, and the store items are written to. */
export type WorkerOverrides = Partial<
  Pick<
    WorkerOptions,
    | 'concurrency'
    | 'logger'
    | 'maxInFlightPerProject'
    | 'leaseMs'
    | 'pollMs'
    | 'housekeeping'
    | 'housekeepingMs'
    | 'entryWebhooks'
  >
> & {
  /** Replaces the blob store items are written to (tests inject storage faults this way). */
  blobs?: ProjectStorage
}

/** `Services.createWorker`: a URL-import worker over these parts, added to `workers` (notified on queueing). */
export function createWorkerFactory(
  config: Config,
  parts: {
    queue: JobQueueRepository
    jobs: ImportJobRepository
    outbox: WebhookOutboxRepository
    entries: MediaEntryRepository
    fetcher: SafeFetcher
    blobs: ProjectStorage
    importer: ImportService
    library: LibraryService
    mediaTypesOf: ItemProcessorDeps['mediaTypesOf']
    actors: ActorContext
    trash: TrashService
    upload: Pick<UploadDeps, 'cleanUpUploads'>
    entryEvents: Pick<EntryEventRepository, 'prune'>
    deletionRoutines: DeletionRoutineService
    entryWebhookDeliverer: WorkerOptions['entryWebhooks']
    workers: Set<Worker>
    /** Source scans' tasks (issue #22), run in the same slots as URL-import items. */
    scans: WorkerOptions['scans']
  },
) {
  const {
    queue,
    jobs,
    outbox,
    entries,
    fetcher,
    blobs,
    importer,
    library,
    mediaTypesOf,
    actors,
    trash,
    upload,
    entryEvents,
    deletionRoutines,
    entryWebhookDeliverer,
    workers,
    scans,
  } = parts
  let lastRoutines = 0
  // URL imports change entries as the importer.
  const importerActor = { type: 'importer' } as const

  const tmpDir = path.join(config.dataDir, 'tmp', 'url-import')
  const processWith = (store: ProjectStorage, logger?: WorkerOptions['logger']) =>
    createItemProcessor({
      queue,
      contentHashes: entries,
      fetcher,
      blobs: store,
      importer: actingAs(actors, importerActor, importer),
      library: actingAs(actors, importerActor, library),
      mediaTypesOf,
      maxBytes: config.fetch.maxBytes,
      tmpDir,
      assetUrl: (key) => assetUrlOf(config, key),
      maxRetries: config.jobs.maxRetries,
      retryBaseMs: config.jobs.retryBaseMs,
      ...(logger ? { logger } : {}),
    })
  const newWorker = ({ blobs: store, ...overrides }: WorkerOverrides = {}) => {
    // Partial downloads of killed processes go at start-up (finding 8 of issue 13).
    sweepTmpDir(tmpDir).catch((err: unknown) =>
      overrides.logger?.error({ err }, 'could not sweep the URL-import temp directory'),
    )
    const worker = createWorker({
      queue,
      jobs,
      outbox,
      process: processWith(store ?? blobs, overrides.logger),
      fetcher,
      concurrency: config.jobs.workerConcurrency,
      maxInFlightPerProject: config.jobs.maxInFlightPerProject,
      leaseMs: config.jobs.leaseMs,
      pollMs: config.jobs.pollMs,
      retryBaseMs: config.jobs.retryBaseMs,
      // Workers purge the trash, prune old events and run the deletion routines when idle, and deliver entry
      // webhooks (issue #16).
      housekeeping: async () => {
        await trash.purgeExpired()
        await upload.cleanUpUploads()
        await entryEvents.prune(new Date(Date.now() - config.eventRetentionDays * 86_400_000))
        if (Date.now() - lastRoutines >= config.routineIntervalMinutes * 60_000) {
          lastRoutines = Date.now()
          for (const report of await deletionRoutines.run()) {
            const { ids, ...rest } = report
            overrides.logger?.info({ ...rest, matched: ids.length }, 'deletion routine ran')
          }
        }
      },
      entryWebhooks: entryWebhookDeliverer,
      scans,
      ...overrides,
    })
    workers.add(worker)
    return worker
  }
  return newWorker
}
