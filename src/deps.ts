import path from 'node:path'
import type { Logger } from 'pino'
import type { Config } from './config.js'
import { createAssetKeyRepository } from './db/asset-key.repository.js'
import { migrateToLatest, openDatabase, waitForDatabase, type DatabaseOptions } from './db/database.js'
import { createImportJobList } from './db/import-job-list.js'
import { createImportJobRepository } from './db/import-job.repository.js'
import { createJobQueueRepository } from './db/job-queue.repository.js'
import { createMediaEntryRepository } from './db/media-entry.repository.js'
import { createProjectRepository } from './db/project.repository.js'
import { createStorageLayoutRepository } from './db/storage-layout.repository.js'
import { createTokenRepository } from './db/token.repository.js'
import { createWebhookOutboxRepository } from './db/webhook-outbox.repository.js'
import { createHealthService } from './health.service.js'
import { createAddressGuard } from './jobs/address-guard.js'
import { createSafeFetcher } from './jobs/safe-fetcher.js'
import { createUrlImportService } from './jobs/url-import.service.js'
import type { Worker } from './jobs/worker.js'
import { createAjv } from './media/ajv.js'
import { createEntryValidator } from './media/entry-validator.js'
import { createFileService } from './media/file.service.js'
import { createImportService } from './media/import.service.js'
import { createLibraryService } from './media/library.service.js'
import { createPatchService } from './media/patch.service.js'
import { createThumbnailService, THUMBNAIL_WIDTHS } from './media/thumbnail.service.js'
import { createFrameExtractor } from './media/video-poster.js'
import { createTrashService } from './media/trash.service.js'
import { createMetrics } from './metrics.js'
import { createMediaTypesUpdate } from './projects/media-types-update.js'
import { createProjectService } from './projects/project.service.js'
import { createTokenService } from './projects/token.service.js'
import { upgradeToProjectNamespaces } from './storage/namespace-upgrade.js'
import { createStorage } from './storage/storage-config.js'
import { assetUrlOf } from './storage/asset-url.js'
import { createSourceRepository } from './db/source.repository.js'
import { createSourceScheduleRepository } from './db/source-schedule.repository.js'
import { createSourceScanRepository } from './db/source-scan.repository.js'
import { createSourceService } from './sources/source.service.js'
import { createSourceReaders } from './sources/source-readers.js'
import { withSources } from './sources/source-storage.js'
import { refuseSourceKeys } from './sources/reserved-keys.js'
import { createEntryEventRepository } from './db/entry-event.repository.js'
import { createEntryWebhookRepository } from './db/entry-webhook.repository.js'
import { createActorContext } from './events/actor-context.js'

import { createEntryEventDeps } from './deps-events.js'
import { createWorkerFactory } from './deps-workers.js'
import { createVariantDeps } from './deps-variants.js'
import { createUploadDeps } from './deps-uploads.js'

import type { Deps } from './services.js'

export type { WorkerOverrides } from './deps-workers.js'
export type { Deps, Services } from './services.js'

/**
 * The composition root: config → database → repositories → blob store → services → workers. The only
 * place that constructs them; waits for the database, migrates it and upgrades the storage layout.
 */
export async function createDeps(
  config: Config,
  logger: Pick<Logger, 'warn'>,
  options: Pick<DatabaseOptions, 'onQuery'> = {},
): Promise<Deps> {
  const database = openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
    onQuery: options.onQuery,
  })
  try {
    await waitForDatabase(database, logger)
    await migrateToLatest(database)
  } catch (err) {
    await database.close()
    throw err
  }

  // Repositories and stores. Every entry write adds the events webhooks subscribe to, in its transaction
  // (issue #16); the actor of a request is set per request.
  const actors = createActorContext()
  const entryEvents = createEntryEventRepository(database, { actor: actors.current })
  const entryWebhookRepository = createEntryWebhookRepository(database)
  const entries = createMediaEntryRepository(database, { outbox: entryEvents })
  const jobs = createImportJobRepository(database)
  const queue = createJobQueueRepository(database)
  const outbox = createWebhookOutboxRepository(database)
  const assetKeys = createAssetKeyRepository(database)
  const { storage: ownBlobs, legacy: legacyBlobs } = createStorage(config)
  // Source entries' keys (`@source/<handle>/…`) read their source in place (issue #22).
  const sourceRepository = createSourceRepository(database)
  const sourceReaders = createSourceReaders({ sources: sourceRepository, s3: config.storage.s3 })
  const blobs = withSources(ownBlobs, sourceReaders.readerOf)
  try {
    const upgrade = await upgradeToProjectNamespaces({
      layout: createStorageLayoutRepository(database),
      legacy: legacyBlobs,
      storage: ownBlobs,
    })
    if (upgrade) logger.warn(upgrade, 'blobs moved into per-project storage namespaces')
  } catch (err) {
    await database.close()
    throw err
  }

  // Services.
  const ajv = createAjv()
  const projects = createProjectService({ projects: createProjectRepository(database), ajv })
  const mediaTypesOf = (project: string) => projects.mediaTypesOf(project)
  const tokens = createTokenService({ tokens: createTokenRepository(database), projects })
  // Clients may not name source keys (`@source/…`): only scans make such entries, with their own importer.
  const importer = createImportService({
    entries,
    validator: createEntryValidator(ajv),
    refuse: refuseSourceKeys,
  })
  const entryRules = {
    entries,
    validator: createEntryValidator(ajv),
    mediaTypesOf,
    usagePurposesOf: (project: string) => projects.usagePurposesOf(project),
    trashDays: config.trashDays,
  }
  const library = createLibraryService({
    ...entryRules,
    patcher: createPatchService(entryRules),
    countExactUpTo: config.limits.countExactUpTo,
  })
  const trash = createTrashService({ entries, assetKeys, blobs, trashDays: config.trashDays })
  const files = createFileService({ assetKeys, library, mediaTypesOf, blobs })
  const fetcher = createSafeFetcher({ ...config.fetch, guard: createAddressGuard(config.fetch.allowCidrs) })
  // Image variants (issue #17): serve-image with imgix parameters, `…/{id}/image`, external previews.
  const variantDeps = createVariantDeps(config, database, {
    library,
    projects,
    assetKeys,
    blobs,
    fetcher,
    logger,
  })
  const thumbnails = createThumbnailService({
    blobs,
    timeoutSeconds: config.limits.imageTimeoutSeconds,
    externalOriginal: (project, entry) => variantDeps.variants.original(project, entry),
    frames: createFrameExtractor({
      ffmpegPath: config.variants.ffmpegPath,
      tmpDir: path.join(config.dataDir, 'tmp', 'posters'),
      timeoutSeconds: config.limits.imageTimeoutSeconds,
      maxWidth: Math.max(...THUMBNAIL_WIDTHS),
    }),
  })
  const workers = new Set<Worker>()
  const urlImports = createUrlImportService({
    jobs,
    list: createImportJobList(database),
    outbox,
    fetcher,
    onQueued: () => {
      for (const w of workers) w.notify()
    },
    library,
  })

  // Uploads (issue #18): multipart and tus.
  const upload = createUploadDeps(config, database, {
    blobs,
    importer,
    library,
    mediaTypesOf,
    setContentShas: (project, rows) => entries.setContentShas(project, rows),
  })

  // Entry webhooks and deletion routines (issue #16).
  const { entryWebhooks, entryWebhookDeliverer, deletionRoutines } = createEntryEventDeps({
    database,
    entryWebhookRepository,
    entryEvents,
    projects,
    fetcher,
    retryBaseMs: config.jobs.retryBaseMs,
    actors,
    trash,
  })

  const sources = createSourceService({
    sources: sourceRepository,
    importer: createImportService({ entries, validator: createEntryValidator(ajv) }),
    library,
    mediaTypesOf,
    assetUrl: (key) => assetUrlOf(config, key),
    readers: sourceReaders,
    tmpDir: path.join(config.dataDir, 'tmp', 'scans'),
    scans: createSourceScanRepository(database),
    schedules: createSourceScheduleRepository(database),
    blobs,
    isConnectionError: (err) => database.caps.isConnectionError(err),
    jobs: config.jobs,
    onQueued: () => {
      for (const w of workers) w.notify()
    },
  })

  // Workers.
  const newWorker = createWorkerFactory(config, {
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
    scans: sources.tasks,
  })

  return {
    ...variantDeps,
    ...upload,
    config,
    projects,
    tokens,
    mediaTypesUpdate: createMediaTypesUpdate({ database, projects }),
    importer,
    library,
    trash,
    urlImports,
    files,
    thumbnails,
    health: createHealthService({ database, blobs }),
    isConnectionError: (err) => database.caps.isConnectionError(err),
    databaseDescription: database.description,
    createMetrics: () => createMetrics(database),
    createWorker: newWorker,
    actors,
    entryWebhooks,
    eventFeed: { list: (project, after, limit) => entryEvents.listAfter(project, after, limit) },
    deletionRoutines,
    sources,
    close: () => database.close(),
    database,
    blobs,
    importJobs: {
      ...jobs,
      ...queue,
      ...outbox,
      getContentSha: entries.getContentSha,
      setContentSha: entries.setContentSha,
    },
  }
}

/** `medialib migrate`: brings the schema up to date (no services built) and closes the database. */
export async function migrateDatabase(config: Config): Promise<{ applied: string[]; description: string }> {
  const database = openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 })
  try {
    return { applied: await migrateToLatest(database), description: database.description }
  } finally {
    await database.close()
  }
}
