import { randomBytes } from 'node:crypto'
import type { ImportJob, WebhookState } from '../jobs/import-job.js'
import type { Database } from './database.js'
import { jobFromRow } from './import-job.rows.js'

/**
 * The webhook outbox: deliveries queued in the same transaction as the change they announce (today a
 * finished URL-import job, whose `webhook_*` columns hold the delivery state), claimed by workers, and the
 * per-project signing secret. Entry events (issue #16) add their deliveries behind this same interface.
 */
export interface WebhookOutboxRepository {
  /** Claims one due webhook delivery (the lease is the next attempt time). */
  claimWebhook(now: Date, retryAt: Date): Promise<ImportJob | undefined>
  /**
   * Extends the claim of a delivery in progress (`attempts` as claimed: a later claim by another worker
   * has counted another attempt, and is not extended).
   */
  renewWebhook(jobId: string, attempts: number, leaseUntil: Date): Promise<void>
  recordWebhook(jobId: string, state: WebhookState, error: string | null, nextAt: Date | null): Promise<void>
  /** The project's webhook signing secret, created on first use. */
  webhookSecret(project: string): Promise<string>
}

export function createWebhookOutboxRepository({ db, caps }: Database): WebhookOutboxRepository {
  return {
    async claimWebhook(now, retryAt) {
      const due = db
        .selectFrom('import_jobs')
        .select('id')
        .where('webhook_state', '=', 'pending')
        .where('webhook_next_at', '<=', caps.toTime(now))
        .limit(1)
        .$if(caps.name === 'postgres', (q) => q.forUpdate().skipLocked())
      // SQLite: a poll that finds nothing due writes nothing. An UPDATE takes the write lock even when it
      // matches no row, and waits for it synchronously (busy_timeout): while the import worker wrote a
      // 64 MiB batch, the idle job worker's poll blocked the event loop for seconds (issue 13, finding 10).
      if (caps.name === 'sqlite' && !(await due.executeTakeFirst())) return undefined
      const row = await db
        .updateTable('import_jobs')
        .set((eb) => ({
          webhook_next_at: caps.toTime(retryAt),
          webhook_attempts: eb('webhook_attempts', '+', 1),
        }))
        .where('id', 'in', due)
        .returningAll()
        .executeTakeFirst()
      return row ? jobFromRow(caps, row) : undefined
    },
    async renewWebhook(jobId, attempts, leaseUntil) {
      await db
        .updateTable('import_jobs')
        .set({ webhook_next_at: caps.toTime(leaseUntil) })
        .where('id', '=', jobId)
        .where('webhook_state', '=', 'pending')
        .where('webhook_attempts', '=', attempts)
        .execute()
    },
    async recordWebhook(jobId, state, error, nextAt) {
      await db
        .updateTable('import_jobs')
        .set({
          webhook_state: state,
          webhook_error: error,
          webhook_next_at: nextAt ? caps.toTime(nextAt) : null,
        })
        .where('id', '=', jobId)
        .execute()
    },
    async webhookSecret(project) {
      await db
        .insertInto('webhook_secrets')
        .values({ project, secret: randomBytes(32).toString('hex') })
        .onConflict((oc) => oc.column('project').doNothing())
        .execute()
      const row = await db
        .selectFrom('webhook_secrets')
        .select('secret')
        .where('project', '=', project)
        .executeTakeFirstOrThrow()
      return row.secret
    },
  }
}
