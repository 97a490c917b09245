import { BadRequestError, notFound } from '../errors.js'
import type { ImportJobList } from '../db/import-job-list.js'
import type { ImportJobRepository } from '../db/import-job.repository.js'
import type { WebhookOutboxRepository } from '../db/webhook-outbox.repository.js'
import type { ImportKind, NewImportItem } from './import-job.js'
import { jobProgressView, webhookView, type JobProgressView } from './job-views.js'
import { generateEntryId, generateId } from '../media/ids.js'
import { FetchError, type SafeFetcher } from './safe-fetcher.js'
import type { LibraryService } from '../media/library.service.js'

export const MAX_CONTEXT_BYTES = 8192

/** One URL of a `POST /import/images|videos|files` request. */
export interface UrlImportRequestItem {
  id: string
  url: string
  fileName?: string
  metadata?: Record<string, unknown>
  mediaType?: string
}

export interface UrlImportRequest {
  systemName: string
  webhook?: string
  context?: Record<string, unknown>
  items: UrlImportRequestItem[]
}

export interface UrlImportService {
  /** Validates the request and queues the job; returns its id at once. Throws BadRequestError. */
  queue(project: string, kind: ImportKind, request: UrlImportRequest): Promise<string>
  /** The job's state and, once finished, each item's outcome in the reference's shape. Throws NotFoundError. */
  status(project: string, kind: ImportKind, id: string): Promise<Record<string, unknown>>
  /** The project's newest jobs, newest first, with their items counted by state (the UI's Imports page). */
  recent(project: string, limit: number): Promise<JobProgressView[]>
  /** One job of the project with its items counted by state. Throws NotFoundError. */
  progress(project: string, id: string): Promise<JobProgressView>
  /** The project's webhook signing secret, created on first use. */
  webhookSecret(project: string): Promise<string>
}

/** ExternalIds per lookup when a job is queued (its items known to be new skip their own lookup). */
const EXISTING_LOOKUP_CHUNK = 500

const jobNotFound = (id: string) => notFound(`Import job does not exist (id: '${id}')`)

export function createUrlImportService(deps: {
  jobs: Pick<ImportJobRepository, 'create' | 'get' | 'items'>
  /** Jobs with their progress, for people watching them (the UI). */
  list: ImportJobList
  outbox: Pick<WebhookOutboxRepository, 'webhookSecret'>
  fetcher: Pick<SafeFetcher, 'checkUrl'>
  /** Called after a job is queued (the in-process worker wakes up). */
  onQueued?: () => void
  /**
   * Where a job's externalIds are looked up as it is queued (the lookup an item makes before its first
   * download, here for the whole job at once): those no live entry has are queued as known to be new.
   */
  library?: Pick<LibraryService, 'listByExternalIds'>
  now?: () => Date
}): UrlImportService {
  const now = deps.now ?? (() => new Date())
  return {
    async queue(project, kind, request) {
      const problems: Record<string, string> = {}
      if (request.context !== undefined) {
        const bytes = Buffer.byteLength(JSON.stringify(request.context))
        if (bytes > MAX_CONTEXT_BYTES)
          problems.context = `must be at most ${MAX_CONTEXT_BYTES} bytes as JSON (it is ${bytes})`
      }
      if (request.webhook !== undefined) {
        try {
          deps.fetcher.checkUrl(request.webhook)
        } catch (err) {
          problems.webhook = err instanceof FetchError ? err.message : 'is not a valid URL'
        }
      }
      const seen = new Set<string>()
      request.items.forEach((item, i) => {
        if (seen.has(item.id)) problems[`${kind}/${i}/id`] = `'${item.id}' appears twice in this request`
        seen.add(item.id)
      })
      if (Object.keys(problems).length > 0) throw new BadRequestError(problems)
      const id = generateId()
      const items: NewImportItem[] = request.items.map((item) => {
        const row: NewImportItem = { externalId: item.id, url: item.url, entryId: generateEntryId() }
        if (item.fileName !== undefined) row.fileName = item.fileName
        if (item.metadata !== undefined) row.metadata = item.metadata
        if (item.mediaType !== undefined) row.mediaType = item.mediaType
        return row
      })
      if (deps.library) {
        const existing = new Set<string>()
        for (let i = 0; i < items.length; i += EXISTING_LOOKUP_CHUNK) {
          const chunk = items.slice(i, i + EXISTING_LOOKUP_CHUNK).map((item) => item.externalId)
          for (const entry of await deps.library.listByExternalIds(project, request.systemName, chunk))
            existing.add(entry.externalId as string)
        }
        for (const item of items) if (!existing.has(item.externalId)) item.absentAtQueue = true
      }
      const job = { id, project, kind, systemName: request.systemName } as Parameters<
        ImportJobRepository['create']
      >[0]
      if (request.webhook !== undefined) job.webhook = request.webhook
      if (request.context !== undefined) job.context = request.context
      await deps.jobs.create(job, items, now())
      deps.onQueued?.()
      return id
    },
    async status(project, kind, id) {
      const job = await deps.jobs.get(project, id)
      if (!job || job.kind !== kind) throw jobNotFound(id)
      const webhook = webhookView(job)
      if (job.state === 'started') return { finished: false, state: 'started', id, startedAt: job.createdAt }
      const items = (await deps.jobs.items(id)).map((item) => ({
        state: item.state,
        ...(item.reason !== undefined && item.state !== 'success' ? { reason: item.reason } : {}),
        externalId: item.externalId,
        systemName: job.systemName,
        ...(item.result ?? {}),
      }))
      return { finished: true, state: job.state, id, [kind]: items, ...webhook }
    },
    async recent(project, limit) {
      return (await deps.list.recent(project, limit)).map(jobProgressView)
    },
    async progress(project, id) {
      const job = await deps.list.progress(project, id)
      if (!job) throw jobNotFound(id)
      return jobProgressView(job)
    },
    webhookSecret: (project) => deps.outbox.webhookSecret(project),
  }
}
