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
import { createUploadDeps, type UploadDeps } from './media/upload/upload.wiring.js'

/**
 * Everything the HTTP layer and the CLI use. Built in one place; no module-level singletons.
 * Includes the URL imports' blob store, job queue, safe fetcher and workers (see src/jobs/).
 */
export interface Deps extends UrlImportDeps, UploadDeps {
  config: Config
  database: Database
  projects: ProjectService
  tokens: TokenService
  importer: ImportService
  library: LibraryService
  trash: TrashService
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
  const entries = createMediaEntryRepository(database)
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
  const urlImport = createUrlImportDeps(config, database, { importer, library, projects })
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
  // Uploads (issue #18): multipart and tus, over the URL import's blob store.
  const upload = createUploadDeps(config, database, {
    blobs: urlImport.blobs,
    importer,
    library,
    mediaTypesOf: (project) => projects.mediaTypesOf(project),
    setContentSha: (project, id, sha256) => urlImport.importJobs.setContentSha(project, id, sha256),
  })
  return {
    ...urlImport,
    ...upload,
    // Workers purge the trash and expired uploads when idle (issues #16, #18).
    createWorker: (overrides) =>
      urlImport.createWorker({
        housekeeping: async () => {
          await trash.purgeExpired()
          await upload.cleanUpUploads()
        },
        ...overrides,
      }),
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
