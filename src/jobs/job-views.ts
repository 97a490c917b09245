import type { ImportJob, ImportJobProgress } from './import-job.js'

/** A job's webhook delivery as the status endpoint and the UI show it; `{}` for a job without a webhook. */
export function webhookView(job: ImportJob) {
  return job.webhook === undefined
    ? {}
    : {
        webhook: {
          state: job.webhookState ?? 'waiting',
          attempts: job.webhookAttempts,
          ...(job.webhookError ? { lastError: job.webhookError } : {}),
        },
      }
}

/** What the Imports page shows of a job: no URLs, webhook address or context, only states and counts. */
export function jobProgressView(job: ImportJobProgress) {
  const { items } = job
  return {
    id: job.id,
    kind: job.kind,
    systemName: job.systemName,
    state: job.state,
    finished: job.state !== 'started',
    startedAt: job.createdAt,
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    total: job.itemCount,
    done: items.success + items.skipped + items.failed,
    items,
    ...webhookView(job),
  }
}

export type JobProgressView = ReturnType<typeof jobProgressView>
