import type { EntryEventRepository, StoredEntryEvent } from '../db/entry-event.repository.js'
import type {
  EntryWebhook,
  EntryWebhookDelivery,
  EntryWebhookRepository,
} from '../db/entry-webhook.repository.js'
import { DELIVERY_ID_HEADER, SIGNATURE_HEADER, signBody, WEBHOOK_MAX_ATTEMPTS } from '../jobs/webhook.js'
import type { SafeFetcher } from '../jobs/safe-fetcher.js'

export const EVENT_HEADER = 'x-medialib-event'
/** Events one claim delivers before it gives the webhook back (others' turns, a fresh lease). */
const ROUND = 500
/** Progress is saved every this many deliveries (a crash re-sends at most these, same deliveryIds). */
const SAVE_EVERY = 100

/** The body the receiver gets: the reference's payload, plus the changed fields of an update. */
export function entryEventPayload(webhook: Pick<EntryWebhook, 'id' | 'handle'>, event: StoredEntryEvent) {
  return {
    event: event.event,
    deliveryId: deliveryIdOf(webhook, event),
    projectId: event.project,
    projectHandle: event.project,
    webhookHandle: webhook.handle,
    mediaId: event.mediaId,
    actor: event.actor,
    ...(event.changes ? { changes: event.changes } : {}),
  }
}

/** The same for every attempt at one event for one webhook, across workers and restarts. */
export const deliveryIdOf = (webhook: Pick<EntryWebhook, 'id'>, event: Pick<StoredEntryEvent, 'seq'>) =>
  `${webhook.id}-${event.seq}`

/** A claimed webhook's round: what the worker's delivery slots run beside items (see jobs/worker.ts). */
export interface ClaimedDelivery {
  id: string
  run(): Promise<void>
  renew(leaseUntil: Date): Promise<unknown>
}

export interface EntryWebhookDeliverer {
  claim(owner: string, now: Date, leaseUntil: Date): Promise<ClaimedDelivery | undefined>
}

/**
 * Delivers a project's events to its webhooks, each webhook's events one at a time in seq order (so in
 * order per entry), at least once: the cursor moves only after a 2xx (or after the last of
 * WEBHOOK_MAX_ATTEMPTS, recorded as failed); until then the event is retried with exponential backoff
 * and holds back the webhook's later events. Every POST goes through the SSRF-guarded fetcher.
 */
export function createEntryWebhookDeliverer(deps: {
  webhooks: EntryWebhookRepository
  events: Pick<EntryEventRepository, 'listAfter'>
  fetcher: SafeFetcher
  retryBaseMs: number
  now?: () => Date
}): EntryWebhookDeliverer {
  const now = deps.now ?? (() => new Date())

  const post = async (url: string, secret: string, body: string, deliveryId: string, event: string) => {
    try {
      const status = await deps.fetcher.post(url, body, {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signBody(secret, body),
        [DELIVERY_ID_HEADER]: deliveryId,
        [EVENT_HEADER]: event,
        'user-agent': 'medialib-webhook',
      })
      return status >= 200 && status < 300 ? undefined : `HTTP ${status}`
    } catch (err) {
      return err instanceof Error ? err.message : String(err)
    }
  }

  const runRound = async (webhook: EntryWebhook, owner: string) => {
    const secret = await deps.webhooks.secretOf(webhook.id)
    if (secret === undefined || webhook.url === undefined) return
    const subscribed = new Set(webhook.events)
    let { cursor, attempts } = webhook
    let outcomes: EntryWebhookDelivery[] = []
    const save = async (
      progress: { nextAttemptAt: Date | null; lastError: string | null },
      release: boolean,
    ) => {
      const kept = await deps.webhooks.advance(
        webhook.id,
        owner,
        { cursor, attempts, ...progress },
        outcomes,
        release,
      )
      outcomes = []
      return kept
    }
    for (const event of await deps.events.listAfter(webhook.project, cursor, ROUND)) {
      if (!subscribed.has(event.event)) {
        cursor = event.seq
        continue
      }
      const deliveryId = deliveryIdOf(webhook, event)
      const error = await post(
        webhook.url,
        secret,
        JSON.stringify(entryEventPayload(webhook, event)),
        deliveryId,
        event.event,
      )
      attempts++
      const record = {
        deliveryId,
        webhookId: webhook.id,
        eventSeq: event.seq,
        event: event.event,
        mediaId: event.mediaId,
        attempts,
        at: now().toISOString(),
      }
      if (error === undefined || attempts >= WEBHOOK_MAX_ATTEMPTS) {
        outcomes.push(
          error === undefined
            ? { ...record, state: 'delivered' }
            : { ...record, state: 'failed', lastError: error },
        )
        cursor = event.seq
        attempts = 0
        if (outcomes.length >= SAVE_EVERY && !(await save({ nextAttemptAt: null, lastError: null }, false)))
          return
        continue
      }
      const nextAttemptAt = new Date(now().getTime() + deps.retryBaseMs * 2 ** (attempts - 1))
      await save({ nextAttemptAt, lastError: error }, true)
      return
    }
    await save({ nextAttemptAt: null, lastError: null }, true)
  }

  return {
    async claim(owner, at, leaseUntil) {
      const webhook = await deps.webhooks.claim(owner, at, leaseUntil)
      if (!webhook) return undefined
      return {
        id: `entry-webhook:${webhook.handle}`,
        run: () => runRound(webhook, owner),
        renew: (until) => deps.webhooks.renew(webhook.id, owner, until),
      }
    },
  }
}
