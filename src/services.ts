import type { Config } from './config.js'
import type { Database } from './db/database.js'
import type { ImportJobRepository } from './db/import-job.repository.js'
import type { JobQueueRepository } from './db/job-queue.repository.js'
import type { MediaEntryRepository } from './db/media-entry.repository.js'
import type { WebhookOutboxRepository } from './db/webhook-outbox.repository.js'
import type { UploadDeps } from './deps-uploads.js'
import type { VariantDeps } from './deps-variants.js'
import type { WorkerOverrides } from './deps-workers.js'
import type { ActorContext } from './events/actor-context.js'
import type { EntryEventFeed, EntryWebhookService } from './events/entry-webhook.service.js'
import type { HealthService } from './health.service.js'
import type { UrlImportService } from './jobs/url-import.service.js'
import type { Worker } from './jobs/worker.js'
import type { DeletionRoutineService } from './media/deletion-routines.service.js'
import type { FileService } from './media/file.service.js'
import type { ImportService } from './media/import.service.js'
import type { LibraryService } from './media/library.service.js'
import type { ThumbnailService } from './media/thumbnail.service.js'
import type { TrashService } from './media/trash.service.js'
import type { Metrics } from './metrics.js'
import type { MediaTypesUpdate } from './projects/media-types-update.js'
import type { ProjectService } from './projects/project.service.js'
import type { TokenService } from './projects/token.service.js'
import type { SourceService } from './sources/source.service.js'
import type { ProjectStorage } from './storage/project-storage.js'

/**
 * What the HTTP layer (`buildApp`) and the CLI commands receive: services only, never a repository or the
 * database. Each route plugin and command takes the few of these it uses.
 */
export interface Services extends VariantDeps, UploadDeps {
  config: Config
  projects: ProjectService
  tokens: TokenService
  /** `medialib projects update --media-types`: checks every entry, then stores and reindexes. */
  mediaTypesUpdate: MediaTypesUpdate
  importer: ImportService
  library: LibraryService
  trash: TrashService
  urlImports: UrlImportService
  /** Originals and the entries of derived files, with the withheld (revoked/invalid) rule. */
  files: FileService
  thumbnails: ThumbnailService
  health: HealthService
  /** Whether an error means the database is unreachable (the error handler answers 503). */
  isConnectionError(err: unknown): boolean
  /** The database as logs name it (credentials redacted). */
  databaseDescription: string
  /** A metrics registry over this process's database (one per HTTP app). */
  createMetrics(): Metrics
  /** A URL-import worker over this process's dependencies; `serve` starts one, `medialib worker` only workers. */
  createWorker(overrides?: WorkerOverrides): Worker
  /** Entry events (issue #16): who acts (set per request), the webhooks, the pull feed. */
  actors: ActorContext
  entryWebhooks: EntryWebhookService
  eventFeed: EntryEventFeed
  /** The media types' deletion routines (issue #16): run by workers every `routineIntervalMinutes`. */
  deletionRoutines: DeletionRoutineService
  /** Read-only sources whose files become entries in place (issue #22). */
  sources: SourceService
  close(): Promise<void>
}

/**
 * The composition's result: the services, and the parts under them that tests and benchmarks reach into
 * (to seed rows, drive the queue by hand or fault the store). Nothing in src/http or src/cli reads these.
 */
export interface Deps extends Services {
  database: Database
  /** Each project's keys and derived files (see src/storage/project-storage.ts). */
  blobs: ProjectStorage
  /** The URL-import tables' repositories in one object, and the entries' content hashes (tests). */
  importJobs: ImportJobRepository &
    JobQueueRepository &
    WebhookOutboxRepository &
    Pick<MediaEntryRepository, 'getContentSha' | 'setContentSha'>
}
