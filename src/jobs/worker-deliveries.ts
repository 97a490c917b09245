// A worker's webhook deliveries: URL-import jobs' webhooks and entry webhooks, claimed one at a time and run
// beside the items (WEBHOOK_CONCURRENCY at once), each under a claim renewed while its POST is in progress.
// Split from worker.ts.
import type { ImportJobRepository } from '../db/import-job.repository.js'
import type { WebhookOutboxRepository } from '../db/webhook-outbox.repository.js'
import type { EntryWebhookDeliverer } from '../events/webhook-delivery.js'
import type { SafeFetcher } from './safe-fetcher.js'
import { deliverWebhook } from './webhook.js'

/** Webhook deliveries one worker runs at once, beside its items. */
const WEBHOOK_CONCURRENCY = 2

export interface WorkerDeliveriesOptions {
  workerId: string
  jobs: Pick<ImportJobRepository, 'getById' | 'items'>
  outbox: WebhookOutboxRepository
  entryWebhooks?: EntryWebhookDeliverer
  fetcher: SafeFetcher
  leaseMs: number
  pollMs: number
  retryBaseMs: number
  logger?: { error(o: object, m: string): void }
  now: () => Date
  /** Called when a delivery ends (its slot is free again). */
  settled(): void
}

export interface WorkerDeliveries {
  /** Deliveries in progress. */
  readonly size: number
  /**
   * Starts the next due delivery if a slot is free. A worker with other work (`busy`) looks at most once a
   * poll interval after finding none (two statements a look). True when one started.
   */
  startNext(busy: boolean): Promise<boolean>
  /** A job just ended: its webhook is due now, so the next look is not held back. */
  due(): void
  /** The deliveries in progress, to wait for at stop. */
  inProgress(): Promise<void>[]
}

/** Runs `work`, calling `renew` with a new lease end every third of `leaseMs` until it settles. */
export async function whileRenewing(
  leaseMs: number,
  now: () => Date,
  renew: (until: Date) => Promise<unknown>,
  work: () => Promise<void>,
): Promise<void> {
  const timer = setInterval(
    () => {
      renew(new Date(now().getTime() + leaseMs)).catch(() => undefined)
    },
    Math.max(50, leaseMs / 3),
  )
  try {
    await work()
  } finally {
    clearInterval(timer)
  }
}

export function workerDeliveries(options: WorkerDeliveriesOptions): WorkerDeliveries {
  const { jobs, outbox, now } = options
  const deliveries = new Set<Promise<void>>()
  /** When the last look for a due webhook found none. */
  let lastEmptyCheck = 0

  /** One delivery; its claim is renewed while the POST is in progress, so no other worker sends it too. */
  const deliver = (label: string, work: () => Promise<void>, renew: (until: Date) => Promise<unknown>) =>
    whileRenewing(options.leaseMs, now, renew, work).catch((err: unknown) => {
      options.logger?.error({ err, job: label }, 'webhook delivery crashed; its claim will lapse')
    })

  /** The next due webhook (URL-import jobs' first, then entry webhooks'), as a delivery to start. */
  const claim = async (): Promise<(() => Promise<void>) | undefined> => {
    const leaseUntil = new Date(now().getTime() + options.leaseMs)
    const webhook = await outbox.claimWebhook(now(), leaseUntil)
    if (webhook) {
      return () =>
        deliver(
          webhook.id,
          () =>
            deliverWebhook(
              { jobs, outbox, fetcher: options.fetcher, baseMs: options.retryBaseMs, now },
              webhook,
            ),
          (until) => outbox.renewWebhook(webhook.id, webhook.webhookAttempts, until),
        )
    }
    const entryWebhook = await options.entryWebhooks?.claim(options.workerId, now(), leaseUntil)
    if (entryWebhook) return () => deliver(entryWebhook.id, entryWebhook.run, entryWebhook.renew)
    return undefined
  }

  return {
    get size() {
      return deliveries.size
    },
    async startNext(busy) {
      if (deliveries.size >= WEBHOOK_CONCURRENCY) return false
      if (busy && Date.now() - lastEmptyCheck < options.pollMs) return false
      const delivery = await claim()
      if (!delivery) {
        lastEmptyCheck = Date.now()
        return false
      }
      const p = delivery().finally(() => {
        deliveries.delete(p)
        options.settled()
      })
      deliveries.add(p)
      return true
    },
    due() {
      lastEmptyCheck = 0
    },
    inProgress: () => [...deliveries],
  }
}
