import type { Config } from './config.js'
import {
  migrateToLatest,
  openDatabase,
  waitForDatabase,
  type Database,
  type DatabaseOptions,
} from './db/database.js'
import { createMediaEntryRepository } from './db/media-entry.repository.js'
import { createProjectRepository } from './db/project.repository.js'
import { createStorageLayoutRepository } from './db/storage-layout.repository.js'
import { createTokenRepository } from './db/token.repository.js'
import type { Logger } from 'pino'
import { createAjv } from './media/ajv.js'
import { createEntryValidator } from './media/entry-validator.js'
import { createImportService, type ImportService } from './media/import.service.js'
import { createLibraryService, type LibraryService } from './media/library.service.js'
import { createTrashService, type TrashService } from './media/trash.service.js'
import { createProjectService, type ProjectService } from './projects/project.service.js'
import { createTokenService, type TokenService } from './projects/token.service.js'
import { createUrlImportDeps, type UrlImportDeps } from './jobs/url-import.wiring.js'
import { upgradeToProjectNamespaces } from './storage/namespace-upgrade.js'
import { createEntryEventRepository } from './db/entry-event.repository.js'
import { createEntryWebhookRepository } from './db/entry-webhook.repository.js'
import { actingAs, createActorContext, type ActorContext } from './events/actor-context.js'
import {
  createEntryWebhookService,
  type EntryEventFeed,
  type EntryWebhookService,
} from './events/entry-webhook.service.js'
import { createEntryWebhookDeliverer } from './events/webhook-delivery.js'
import { createDeletionRoutineRepository } from './db/deletion-routine.repository.js'
import {
  createDeletionRoutineService,
  type DeletionRoutineService,
} from './media/deletion-routines.service.js'

/**
 * Everything the HTTP layer and the CLI use. Built in one place; no module-level singletons.
 * Includes the URL imports' blob store, job queue, safe fetcher and workers (see src/jobs/).
 */
export interface Deps extends UrlImportDeps {
  config: Config
  database: Database
  projects: ProjectService
  tokens: TokenService
  importer: ImportService
  library: LibraryService
  trash: TrashService
  /** Entry events (issue #16): who acts (set per request), the webhooks, the pull feed. */
  actors: ActorContext
  entryWebhooks: EntryWebhookService
  eventFeed: EntryEventFeed
  /** The media types' deletion routines (issue #16): run by workers every `routineIntervalMinutes`. */
  deletionRoutines: DeletionRoutineService
  close(): Promise<void>
}

/** Wires config → database → repositories → services. Waits for the database and migrates it. */
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
  const ajv = createAjv()
  // ── Entry events (issue #16): every entry write adds the events webhooks subscribe to, in its transaction.
  const actors = createActorContext()
  const entryEvents = createEntryEventRepository(database, { actor: actors.current })
  const entryWebhookRepository = createEntryWebhookRepository(database)
  const entries = createMediaEntryRepository(database, { outbox: entryEvents })
  const projects = createProjectService({ projects: createProjectRepository(database), ajv })
  const tokens = createTokenService({ tokens: createTokenRepository(database), projects })
  const importer = createImportService({ entries, validator: createEntryValidator(ajv) })
  const library = createLibraryService({
    entries,
    validator: createEntryValidator(ajv),
    mediaTypesOf: (project) => projects.mediaTypesOf(project),
    usagePurposesOf: (project) => projects.usagePurposesOf(project),
    trashDays: config.trashDays,
    countExactUpTo: config.limits.countExactUpTo,
  })
  // URL imports change entries as the importer.
  const importerActor = { type: 'importer' } as const
  const urlImport = createUrlImportDeps(config, database, {
    importer: actingAs(actors, importerActor, importer),
    library: actingAs(actors, importerActor, library),
    projects,
  })
  try {
    const upgrade = await upgradeToProjectNamespaces({
      layout: createStorageLayoutRepository(database),
      legacy: urlImport.legacyBlobs,
      storage: urlImport.blobs,
    })
    if (upgrade) logger.warn(upgrade, 'blobs moved into per-project storage namespaces')
  } catch (err) {
    await database.close()
    throw err
  }
  const trash = createTrashService({
    entries,
    assetKeys: urlImport.assetKeys,
    blobs: urlImport.blobs,
    trashDays: config.trashDays,
  })
  const entryWebhooks = createEntryWebhookService({
    webhooks: entryWebhookRepository,
    events: entryEvents,
    projectExists: async (project) => (await projects.get(project)) !== undefined,
  })
  const entryWebhookDeliverer = createEntryWebhookDeliverer({
    webhooks: entryWebhookRepository,
    events: entryEvents,
    fetcher: urlImport.fetcher,
    retryBaseMs: config.jobs.retryBaseMs,
  })
  const deletionRoutines = createDeletionRoutineService({
    candidates: createDeletionRoutineRepository(database),
    projects,
    // Routines delete as a user of their own name in the entry events.
    trash: actingAs(actors, { type: 'user', name: 'deletion-routine' }, trash),
  })
  let lastRoutines = 0
  return {
    ...urlImport,
    // Workers purge the trash, prune old events and run the deletion routines when idle, and deliver entry
    // webhooks (issue #16).
    createWorker: (overrides) =>
      urlImport.createWorker({
        housekeeping: async () => {
          await trash.purgeExpired()
          await entryEvents.prune(new Date(Date.now() - config.eventRetentionDays * 86_400_000))
          if (Date.now() - lastRoutines >= config.routineIntervalMinutes * 60_000) {
            lastRoutines = Date.now()
            for (const report of await deletionRoutines.run()) {
              const { ids, ...rest } = report
              overrides?.logger?.info({ ...rest, matched: ids.length }, 'deletion routine ran')
            }
          }
        },
        entryWebhooks: entryWebhookDeliverer,
        ...overrides,
      }),
    actors,
    entryWebhooks,
    eventFeed: { list: (project, after, limit) => entryEvents.listAfter(project, after, limit) },
    deletionRoutines,
    trash,
    config,
    database,
    projects,
    tokens,
    importer,
    library,
    close: () => database.close(),
  }
}
