import type { Database } from './database.js'

/** A project's entry webhook (the secret only where it signs). */
export interface EntryWebhook {
  id: string
  project: string
  handle: string
  /** Absent: a feed-only subscription (its events are kept for `GET /events`, nothing is POSTed). */
  url?: string
  events: string[]
  createdAt: string
  /** The last event seq it has handled (delivered, or failed for good). */
  cursor: number
  /** Failed attempts at the event after `cursor`. */
  attempts: number
  nextAttemptAt?: string
  lastError?: string
}

export interface EntryWebhookDelivery {
  deliveryId: string
  webhookId: string
  eventSeq: number
  event: string
  mediaId: string
  state: 'delivered' | 'failed'
  attempts: number
  lastError?: string
  at: string
}

/** Where a claimed webhook stands after a round of deliveries. */
export interface WebhookProgress {
  cursor: number
  attempts: number
  nextAttemptAt: Date | null
  lastError: string | null
}

export interface EntryWebhookRepository {
  /** Inserts the webhook; false when the handle is taken in the project. */
  create(
    webhook: Omit<EntryWebhook, 'attempts' | 'createdAt'> & { secret: string; createdAt: Date },
  ): Promise<boolean>
  list(project: string): Promise<EntryWebhook[]>
  get(project: string, handle: string): Promise<EntryWebhook | undefined>
  /** Deletes it (and its delivery records); whether it existed. */
  delete(project: string, handle: string): Promise<boolean>
  secretOf(id: string): Promise<string | undefined>
  /**
   * Claims one webhook that has a URL, is due (no backoff pending) and is not leased, and whose project
   * has events after its cursor. The lease is the owner's until `leaseUntil` (renewed while it delivers).
   */
  claim(owner: string, now: Date, leaseUntil: Date): Promise<EntryWebhook | undefined>
  renew(id: string, owner: string, leaseUntil: Date): Promise<boolean>
  /**
   * Records the progress of the owner's round (and the outcomes it reached) and gives up the lease.
   * Nothing is written when the lease was lost meanwhile (another worker took over): false.
   */
  advance(
    id: string,
    owner: string,
    progress: WebhookProgress,
    outcomes: readonly EntryWebhookDelivery[],
    release: boolean,
  ): Promise<boolean>
  /** The webhook's delivery records, newest first. */
  deliveries(id: string, limit: number): Promise<EntryWebhookDelivery[]>
}

export function createEntryWebhookRepository(database: Database): EntryWebhookRepository {
  const { db, caps } = database
  const timeOrUndefined = (v: unknown) => (v === null || v === undefined ? undefined : caps.fromTime(v))

  type Row = {
    id: string
    project: string
    handle: string
    url: string | null
    events: unknown
    created_at: unknown
    cursor: unknown
    attempts: number
    next_attempt_at: unknown
    last_error: string | null
  }
  const fromRow = (row: Row): EntryWebhook => {
    const webhook: EntryWebhook = {
      id: row.id,
      project: row.project,
      handle: row.handle,
      events: caps.fromJson(row.events) as string[],
      createdAt: caps.fromTime(row.created_at),
      cursor: Number(row.cursor),
      attempts: Number(row.attempts),
    }
    if (row.url !== null) webhook.url = row.url
    const next = timeOrUndefined(row.next_attempt_at)
    if (next !== undefined) webhook.nextAttemptAt = next
    if (row.last_error !== null) webhook.lastError = row.last_error
    return webhook
  }
  const columns = [
    'id',
    'project',
    'handle',
    'url',
    'events',
    'created_at',
    'cursor',
    'attempts',
    'next_attempt_at',
    'last_error',
  ] as const

  return {
    async create(webhook) {
      const result = await db
        .insertInto('entry_webhooks')
        .values({
          id: webhook.id,
          project: webhook.project,
          handle: webhook.handle,
          url: webhook.url ?? null,
          events: JSON.stringify(webhook.events),
          secret: webhook.secret,
          created_at: caps.toTime(webhook.createdAt),
          cursor: webhook.cursor,
        })
        .onConflict((oc) => oc.columns(['project', 'handle']).doNothing())
        .returning('id')
        .executeTakeFirst()
      return result !== undefined
    },

    async list(project) {
      const rows = await db
        .selectFrom('entry_webhooks')
        .select(columns)
        .where('project', '=', project)
        .orderBy('handle')
        .execute()
      return rows.map((r) => fromRow(r as Row))
    },

    async get(project, handle) {
      const row = await db
        .selectFrom('entry_webhooks')
        .select(columns)
        .where('project', '=', project)
        .where('handle', '=', handle)
        .executeTakeFirst()
      return row ? fromRow(row as Row) : undefined
    },

    async delete(project, handle) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .deleteFrom('entry_webhooks')
          .where('project', '=', project)
          .where('handle', '=', handle)
          .returning('id')
          .executeTakeFirst()
        if (!row) return false
        await trx.deleteFrom('entry_webhook_deliveries').where('webhook_id', '=', row.id).execute()
        return true
      })
    },

    async secretOf(id) {
      const row = await db
        .selectFrom('entry_webhooks')
        .select('secret')
        .where('id', '=', id)
        .executeTakeFirst()
      return row?.secret
    },

    async claim(owner, now, leaseUntil) {
      const at = caps.toTime(now)
      const candidates = await db
        .selectFrom('entry_webhooks as w')
        .select(columns.map((c) => `w.${c}` as const))
        .where('w.url', 'is not', null)
        .where((eb) => eb.or([eb('w.lease_until', 'is', null), eb('w.lease_until', '<', at)]))
        .where((eb) => eb.or([eb('w.next_attempt_at', 'is', null), eb('w.next_attempt_at', '<=', at)]))
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('entry_events as e')
              .select('e.seq')
              .whereRef('e.project', '=', 'w.project')
              .whereRef('e.seq', '>', 'w.cursor'),
          ),
        )
        .orderBy('w.next_attempt_at')
        .limit(4)
        .execute()
      for (const row of candidates) {
        // Taken only if nobody took it since the read (its lease is still free).
        const taken = await db
          .updateTable('entry_webhooks')
          .set({ lease_until: caps.toTime(leaseUntil), lease_owner: owner })
          .where('id', '=', row.id)
          .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
          .executeTakeFirst()
        if (Number(taken.numUpdatedRows) === 1) return fromRow(row as Row)
      }
      return undefined
    },

    async renew(id, owner, leaseUntil) {
      const result = await db
        .updateTable('entry_webhooks')
        .set({ lease_until: caps.toTime(leaseUntil) })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) === 1
    },

    async advance(id, owner, progress, outcomes, release) {
      return db.transaction().execute(async (trx) => {
        const update = trx
          .updateTable('entry_webhooks')
          .set({
            cursor: progress.cursor,
            attempts: progress.attempts,
            next_attempt_at: progress.nextAttemptAt === null ? null : caps.toTime(progress.nextAttemptAt),
            last_error: progress.lastError,
            ...(release ? { lease_until: null, lease_owner: null } : {}),
          })
          .where('id', '=', id)
          .where('lease_owner', '=', owner)
        const result = await update.executeTakeFirst()
        if (Number(result.numUpdatedRows) !== 1) return false
        if (outcomes.length > 0) {
          await trx
            .insertInto('entry_webhook_deliveries')
            .values(
              outcomes.map((o) => ({
                delivery_id: o.deliveryId,
                webhook_id: o.webhookId,
                event_seq: o.eventSeq,
                event: o.event,
                media_id: o.mediaId,
                state: o.state,
                attempts: o.attempts,
                last_error: o.lastError ?? null,
                at: caps.toTime(new Date(o.at)),
              })),
            )
            .onConflict((oc) => oc.column('delivery_id').doNothing())
            .execute()
        }
        return true
      })
    },

    async deliveries(id, limit) {
      const rows = await db
        .selectFrom('entry_webhook_deliveries')
        .selectAll()
        .where('webhook_id', '=', id)
        .orderBy('event_seq', 'desc')
        .limit(limit)
        .execute()
      return rows.map((r) => {
        const d: EntryWebhookDelivery = {
          deliveryId: r.delivery_id,
          webhookId: r.webhook_id,
          eventSeq: Number(r.event_seq),
          event: r.event,
          mediaId: r.media_id,
          state: r.state,
          attempts: Number(r.attempts),
          at: caps.fromTime(r.at),
        }
        if (r.last_error !== null) d.lastError = r.last_error
        return d
      })
    },
  }
}
