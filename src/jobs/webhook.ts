import { createHmac } from 'node:crypto'
import type { ImportJobRepository } from '../db/import-job.repository.js'
import type { WebhookOutboxRepository } from '../db/webhook-outbox.repository.js'
import type { ImportJob } from './import-job.js'
import type { SafeFetcher } from './safe-fetcher.js'

export const SIGNATURE_HEADER = 'x-medialib-signature'
/**
 * The same on every POST of one job's webhook, retries included: delivery is at least once (a crash
 * during a POST sends it again), so receivers deduplicate by this id.
 */
export const DELIVERY_ID_HEADER = 'x-medialib-delivery-id'
export const WEBHOOK_MAX_ATTEMPTS = 8

/** `sha256=<hex HMAC-SHA256 of the body>` with the project's secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/** The webhook body: `{id, state, overview: {success, skipped, failed}, context}`. */
export async function webhookBody(jobs: Pick<ImportJobRepository, 'items'>, job: ImportJob): Promise<string> {
  const overview = { success: 0, skipped: 0, failed: 0 }
  for (const item of await jobs.items(job.id)) {
    if (item.state === 'success' || item.state === 'skipped' || item.state === 'failed')
      overview[item.state]++
  }
  return JSON.stringify({ id: job.id, state: job.state, overview, context: job.context ?? {} })
}

/**
 * Delivers one claimed webhook: any 2xx is delivered; anything else is retried with exponential backoff
 * (`baseMs` doubling) until WEBHOOK_MAX_ATTEMPTS, then recorded as failed with the last error.
 */
export async function deliverWebhook(
  deps: {
    jobs: Pick<ImportJobRepository, 'items'>
    outbox: WebhookOutboxRepository
    fetcher: SafeFetcher
    baseMs: number
    now: () => Date
  },
  job: ImportJob,
): Promise<void> {
  const body = await webhookBody(deps.jobs, job)
  const secret = await deps.outbox.webhookSecret(job.project)
  let error: string
  try {
    const status = await deps.fetcher.post(job.webhook as string, body, {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signBody(secret, body),
      [DELIVERY_ID_HEADER]: job.id,
      'user-agent': 'medialib-webhook',
    })
    if (status >= 200 && status < 300) return deps.outbox.recordWebhook(job.id, 'delivered', null, null)
    error = `HTTP ${status}`
  } catch (err) {
    error = err instanceof Error ? err.message : String(err)
  }
  if (job.webhookAttempts >= WEBHOOK_MAX_ATTEMPTS)
    return deps.outbox.recordWebhook(job.id, 'failed', error, null)
  const next = new Date(deps.now().getTime() + deps.baseMs * 2 ** (job.webhookAttempts - 1))
  await deps.outbox.recordWebhook(job.id, 'pending', error, next)
}
