import path from 'node:path'
import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import { createAssetKeyRepository, type AssetKeyRepository } from '../db/asset-key.repository.js'
import { createImportJobList, type ImportJobList } from '../db/import-job-list.js'
import { createImportJobRepository, type ImportJobRepository } from '../db/import-job.repository.js'
import type { ImportService } from '../media/import.service.js'
import type { LibraryService } from '../media/library.service.js'
import type { ProjectService } from '../projects/project.service.js'
import type { BlobStore } from '../storage/blob-store.js'
import { createDiskBlobStore } from '../storage/disk-blob-store.js'
import {
  createProjectStorage,
  layoutOf,
  scopedStore,
  type ProjectStorage,
} from '../storage/project-storage.js'
import { createAddressGuard } from './address-guard.js'
import { createItemProcessor, sweepTmpDir } from './item-processor.js'
import { createSafeFetcher, type SafeFetcher } from './safe-fetcher.js'
import { createUrlImportService, type UrlImportService } from './url-import.service.js'
import { createWorker, type Worker, type WorkerOptions } from './worker.js'

/**
 * The physical stores the config names, and the project namespaces over them:
 * - disk: `<dataDir>/projects/<project>/files/<key>` and `…/derived/…`; the layout before namespaces
 *   kept every key in `<dataDir>/blobs/<key>` (`legacy`, read only by the upgrade);
 * - S3: `<prefix><projectPrefix>files/<key>` (`projectPrefix` defaults to `projects/{project}/`), or
 *   `<prefix>files/<key>` in the project's own bucket (`projectBuckets`); the layout before namespaces
 *   kept keys at `<prefix><key>` in the main bucket.
 */
export function createStorage(config: Config): { storage: ProjectStorage; legacy: BlobStore } {
  if (config.storage.driver === 's3') {
    const s3 = config.storage.s3
    const buckets = new Map<string, BlobStore>()
    const bucketStore = (bucket: string): BlobStore => {
      let root = buckets.get(bucket)
      if (!root) {
        // The AWS SDK (about 24 MB of memory) loads only when S3 is configured, on first use.
        const store = import('../storage/s3-blob-store.js').then(({ createS3BlobStore }) =>
          createS3BlobStore({
            ...s3,
            bucket,
            ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
            ...(s3.accessKeyId ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : {}),
          }),
        )
        root = {
          put: async (key, body, options) => (await store).put(key, body, options),
          get: async (key, range) => (await store).get(key, range),
          stat: async (key) => (await store).stat(key),
          delete: async (key) => (await store).delete(key),
          list: async (prefix) => (await store).list(prefix),
        }
        buckets.set(bucket, root)
      }
      return root
    }
    const root = bucketStore(s3.bucket)
    const shared = createProjectStorage(root, layoutOf(s3.projectPrefix))
    // A project with a bucket of its own has the whole bucket (under `prefix`) as its namespace root.
    const ownBucket = (project: string) =>
      Object.hasOwn(s3.projectBuckets, project) ? s3.projectBuckets[project] : undefined
    const storage: ProjectStorage = {
      files: (project) => {
        const bucket = ownBucket(project)
        return bucket ? scopedStore(bucketStore(bucket), 'files/') : shared.files(project)
      },
      derived: (project) => {
        const bucket = ownBucket(project)
        return bucket ? scopedStore(bucketStore(bucket), 'derived/') : shared.derived(project)
      },
    }
    return { storage, legacy: root }
  }
  return {
    storage: createProjectStorage(
      createDiskBlobStore(path.join(config.dataDir, 'projects')),
      layoutOf('{project}/'),
    ),
    legacy: createDiskBlobStore(path.join(config.dataDir, 'blobs')),
  }
}

/**
 * The public URL of a stored key: `<publicAssetOrigin or publicBaseUrl>/api/v1/mediaLibrary/serve-image/<key>`.
 */
export function assetUrlOf(config: Config, key: string): string {
  const base = (
    config.publicAssetOrigin ||
    config.publicBaseUrl ||
    `http://${config.host}:${config.port}`
  ).replace(/\/+$/, '')
  return `${base}/api/v1/mediaLibrary/serve-image/${key.split('/').map(encodeURIComponent).join('/')}`
}

export interface UrlImportDeps {
  /** Each project's keys and derived files (see src/storage/project-storage.ts). */
  blobs: ProjectStorage
  /** The store of the layout before project namespaces (read by the storage upgrade). */
  legacyBlobs: BlobStore
  importJobs: ImportJobRepository
  /** Jobs with their progress, for people watching them (the UI). */
  importJobList: ImportJobList
  /** Entries by storage key (serve-image). */
  assetKeys: AssetKeyRepository
  fetcher: SafeFetcher
  urlImports: UrlImportService
  /**
   * A worker over this process's dependencies; `serve` starts one, `medialib worker` runs only workers.
   * `blobs` replaces the blob store its items are written to (tests inject storage faults this way).
   */
  createWorker(
    overrides?: Partial<
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
      blobs?: ProjectStorage
    },
  ): Worker
}

export function createUrlImportDeps(
  config: Config,
  database: Database,
  services: { importer: ImportService; library: LibraryService; projects: ProjectService },
): UrlImportDeps {
  const { storage: blobs, legacy: legacyBlobs } = createStorage(config)
  const importJobs = createImportJobRepository(database)
  const fetcher = createSafeFetcher({ ...config.fetch, guard: createAddressGuard(config.fetch.allowCidrs) })
  const workers = new Set<Worker>()
  const urlImports = createUrlImportService({
    jobs: importJobs,
    fetcher,
    onQueued: () => {
      for (const w of workers) w.notify()
    },
  })
  const tmpDir = path.join(config.dataDir, 'tmp', 'url-import')
  const processWith = (store: ProjectStorage, logger?: WorkerOptions['logger']) =>
    createItemProcessor({
      jobs: importJobs,
      fetcher,
      blobs: store,
      importer: services.importer,
      library: services.library,
      mediaTypesOf: (project) => services.projects.mediaTypesOf(project),
      maxBytes: config.fetch.maxBytes,
      tmpDir,
      assetUrl: (key) => assetUrlOf(config, key),
      maxRetries: config.jobs.maxRetries,
      retryBaseMs: config.jobs.retryBaseMs,
      ...(logger ? { logger } : {}),
    })
  return {
    blobs,
    legacyBlobs,
    importJobs,
    importJobList: createImportJobList(database),
    assetKeys: createAssetKeyRepository(database),
    fetcher,
    urlImports,
    createWorker({ blobs: store, ...overrides } = {}) {
      // Partial downloads of killed processes go at start-up (finding 8 of issue 13).
      sweepTmpDir(tmpDir).catch((err: unknown) =>
        overrides.logger?.error({ err }, 'could not sweep the URL-import temp directory'),
      )
      const worker = createWorker({
        jobs: importJobs,
        process: processWith(store ?? blobs, overrides.logger),
        fetcher,
        concurrency: config.jobs.workerConcurrency,
        maxInFlightPerProject: config.jobs.maxInFlightPerProject,
        leaseMs: config.jobs.leaseMs,
        pollMs: config.jobs.pollMs,
        retryBaseMs: config.jobs.retryBaseMs,
        ...overrides,
      })
      workers.add(worker)
      return worker
    },
  }
}
