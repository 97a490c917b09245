import { randomUUID } from 'node:crypto'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { ImportJobRepository } from '../db/import-job.repository.js'
import type { JobQueueRepository } from '../db/job-queue.repository.js'
import type { WebhookOutboxRepository } from '../db/webhook-outbox.repository.js'
import { groupCommit } from './group-commit.js'
import { heldItems } from './held-items.js'
import type { ImportItem, ImportJob, ItemOutcome } from './import-job.js'
import type { ItemProcessor } from './item-processor.js'
import { deliverWebhook } from './webhook.js'
import type { SafeFetcher } from './safe-fetcher.js'
import type { EntryWebhookDeliverer } from '../events/webhook-delivery.js'
import type { ScanTask } from '../db/source-scan.types.js'
import type { ScanTaskRunner } from '../sources/scan-tasks.js'

const SWEEP_EVERY_MS = 1_000
/** Webhook deliveries one worker runs at once, beside its items. */
const WEBHOOK_CONCURRENCY = 2
/**
 * Free slots a busy worker gathers before it claims again: a quarter of its concurrency (1 up to 7). One claim
 * (a few statements) then fills several slots instead of one per finished item; a worker with nothing in
 * flight claims at once.
 */
const claimBatchOf = (concurrency: number) => Math.max(1, Math.floor(concurrency / 4))

export interface WorkerOptions {
  queue: JobQueueRepository
  jobs: Pick<ImportJobRepository, 'getById' | 'items'>
  outbox: WebhookOutboxRepository
  process: ItemProcessor
  fetcher: SafeFetcher
  concurrency: number
  /** Items of one project in flight at once over all workers (0: no cap). */
  maxInFlightPerProject?: number
  leaseMs: number
  pollMs: number
  retryBaseMs: number
  logger?: { info(o: object, m: string): void; error(o: object, m: string): void }
  now?: () => Date
  /**
   * Upkeep run while the worker is idle, at most every `housekeepingMs` (the trash purge). Its failures
   * are logged, never in the way of items.
   */
  housekeeping?: () => Promise<void>
  /** Default 60 s. */
  housekeepingMs?: number
  /** Entry webhooks (issue #16), delivered in the same slots as the URL-import webhooks. */
  entryWebhooks?: EntryWebhookDeliverer
  /**
   * Source scans' tasks (issue #22): claimed in the same slots as URL-import items, with the same leases
   * and the same fairness across projects; the two queues take turns at being claimed first.
   */
  scans?: ScanTaskRunner
}

/** A URL-import worker: claims due items from the jobs table, processes them, finishes jobs, sends webhooks. */
export interface Worker {
  readonly id: string
  start(): void
  /** Wakes an idle worker at once (a job was just queued in this process). */
  notify(): void
  /** Stops claiming and waits for the items in progress (their leases lapse if this takes too long). */
  stop(): Promise<void>
  /** Resolves when nothing is due and nothing is in progress (for tests and the CLI's `--exit-when-idle`). */
  idle(): Promise<void>
}

export function createWorker(options: WorkerOptions): Worker {
  const now = options.now ?? (() => new Date())
  const id = `${process.pid}-${randomUUID().slice(0, 8)}`
  const { queue, jobs, outbox } = options
  const inFlight = new Map<string, Promise<void>>()
  const deliveries = new Set<Promise<void>>()
  /** Where the last claim's round-robin over projects stopped (see JobQueueRepository.claim). */
  let lastProject: string | undefined
  let lastScanProject: string | undefined
  /** Which queue is claimed first this tick: they alternate, so neither starves the other. */
  let scansFirst = false
  const jobCache = new Map<string, ImportJob>()
  let running = false
  let wake: (() => void) | undefined
  let wakePending = false
  let loop: Promise<void> | undefined
  let idleWaiters: (() => void)[] = []
  let lastSweep = 0
  let lastHousekeeping = 0
  /** When the last look for a due webhook found none (a busy worker looks again after a poll interval). */
  let lastEmptyDeliveryCheck = 0
  const claimBatch = claimBatchOf(options.concurrency)
  /**
   * Items claimed ahead of a free slot (prefetch): held under this worker's lease (renewed like a running
   * item's) and started the moment a slot frees, so the claim's round trip is not spent between one item's end
   * and the next one's start. Given back to the queue at stop. One item, and only where a claim is one item
   * (concurrency below 8): a bigger worker claims when a quarter of its slots are free, and items started
   * together reach their writes together (the group commits); started one by one from a prefetch they formed
   * smaller groups (at concurrency 16 on PostgreSQL, 40 % more statements and about 8 % fewer images/s).
   */
  const prefetch = claimBatch === 1 ? 1 : 0
  const ready: ImportItem[] = []
  const itemKeyOf = (item: ImportItem) => `${item.jobId}/${item.idx}`
  const held = heldItems(
    (item) => {
      queue.renew(id, [item], new Date(now().getTime() + options.leaseMs)).catch(() => undefined)
    },
    Math.max(50, options.leaseMs / 3),
  )
  /** Items that end at nearly the same time are finished in one transaction (group commit). */
  // Each job touched is then checked once for its end, not once per item, and not at all while this
  // worker still holds another of its items: that item's own finish checks it (or, should its worker
  // crash, the finish of whoever claims it after its lease lapses; the housekeeping sweep besides).
  const finisher = groupCommit(async (rows: readonly { item: ImportItem; outcome: ItemOutcome }[]) => {
    for (const r of rows) held.release(r.item)
    const mine = await queue.finishMany(
      rows.map((r) => ({ item: r.item, worker: id, outcome: r.outcome })),
      now(),
    )
    const ended = new Set<string>()
    for (const jobId of new Set(
      // An outcome another worker's lease refused: that worker finishes the item and checks the job,
      // but this worker may have skipped the check for an item it finished before; check it here too.
      rows.filter((r, i) => !mine[i] || r.outcome.state !== 'retry').map((r) => r.item.jobId),
    )) {
      // Checked after this batch's commit: whichever of two overlapping finishes checks last sees both.
      if (held.holdsJob(jobId)) continue
      if (await queue.finishJobIfDone(jobId, now())) ended.add(jobId)
    }
    // One row per ended job says so (it logs the end once).
    return rows.map((r) => ({ jobEnded: ended.delete(r.item.jobId) }))
  })

  const jobOf = async (jobId: string) => {
    let job = jobCache.get(jobId)
    if (!job) {
      job = await jobs.getById(jobId)
      if (!job) throw new Error(`import job ${jobId} is missing`)
      if (jobCache.size > 1000) jobCache.clear()
      jobCache.set(jobId, job)
    }
    return job
  }

  /** A claimed item, held (see `heldItems`) since its claim. */
  const handle = async (item: ImportItem) => {
    try {
      const job = await jobOf(item.jobId)
      const outcome = await options.process(job, item, id)
      const { jobEnded } = await finisher.add({ item, outcome })
      if (jobEnded) {
        options.logger?.info({ job: item.jobId }, 'import job finished')
        lastEmptyDeliveryCheck = 0 // its webhook is due now
      }
    } catch (err) {
      options.logger?.error(
        { err, job: item.jobId, idx: item.idx },
        'import item crashed; its lease will lapse',
      )
    } finally {
      held.release(item)
    }
  }

  /** One delivery; its claim is renewed while the POST is in progress, so no other worker sends it too. */
  const deliver = async (
    label: string,
    work: () => Promise<void>,
    renewLease: (until: Date) => Promise<unknown>,
  ) => {
    const renew = setInterval(
      () => {
        renewLease(new Date(now().getTime() + options.leaseMs)).catch(() => undefined)
      },
      Math.max(50, options.leaseMs / 3),
    )
    try {
      await work()
    } catch (err) {
      options.logger?.error({ err, job: label }, 'webhook delivery crashed; its claim will lapse')
    } finally {
      clearInterval(renew)
    }
  }

  /** The next due webhook (URL-import jobs' first, then entry webhooks'), as a delivery to start. */
  const claimDelivery = async (): Promise<(() => Promise<void>) | undefined> => {
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
    const entryWebhook = await options.entryWebhooks?.claim(id, now(), leaseUntil)
    if (entryWebhook) return () => deliver(entryWebhook.id, entryWebhook.run, entryWebhook.renew)
    return undefined
  }

  /**
   * Wakes the loop now, or, when it is still inside a tick (an item can finish, or a job be queued,
   * before the loop goes to sleep), makes its next sleep return at once instead of waiting a poll.
   */
  const poke = () => {
    if (wake) wake()
    else wakePending = true
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (wakePending) {
        wakePending = false
        resolve()
        return
      }
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      wake = done
    })

  /** A claimed scan task, run with its lease renewed while in progress. */
  const handleScanTask = async (scans: ScanTaskRunner, task: ScanTask) => {
    const renew = setInterval(
      () => {
        scans.renew(id, task, new Date(now().getTime() + options.leaseMs)).catch(() => undefined)
      },
      Math.max(50, options.leaseMs / 3),
    )
    try {
      await scans.run(task, id)
    } catch (err) {
      options.logger?.error(
        { err, scan: task.scanId, task: task.idx },
        'scan task crashed; its lease will lapse',
      )
    } finally {
      clearInterval(renew)
    }
  }

  const track = (key: string, work: Promise<void>) => {
    const p = work.finally(() => {
      inFlight.delete(key)
      // The next prefetched item takes the slot now, not after the loop's next claim.
      if (running) startReady()
      poke()
    })
    inFlight.set(key, p)
  }

  /** Starts prefetched items while slots are free. */
  const startReady = () => {
    while (ready.length > 0 && inFlight.size < options.concurrency) {
      const item = ready.shift()!
      track(itemKeyOf(item), handle(item))
    }
  }

  /** Slots free plus the prefetch not yet filled: how many items a claim may take now. */
  const itemRoom = () => options.concurrency + prefetch - inFlight.size - ready.length

  const claimItems = async () => {
    const room = itemRoom()
    if (room <= 0) return 0
    const claimed = await queue.claim(id, room, now(), new Date(now().getTime() + options.leaseMs), {
      afterProject: lastProject,
      maxInFlightPerProject: options.maxInFlightPerProject ?? 0,
    })
    if (claimed.length > 0) lastProject = claimed[claimed.length - 1]!.project
    for (const item of claimed) {
      held.hold(item)
      ready.push(item)
    }
    if (running) startReady()
    return claimed.length
  }

  const claimScanTasks = async () => {
    const scans = options.scans
    const free = options.concurrency - inFlight.size
    if (!scans || free <= 0) return 0
    const claimed = await scans.claim(id, free, now(), new Date(now().getTime() + options.leaseMs), {
      afterProject: lastScanProject,
      maxInFlightPerProject: options.maxInFlightPerProject ?? 0,
    })
    if (claimed.length > 0) lastScanProject = claimed[claimed.length - 1]!.project
    for (const task of claimed) track(`scan:${task.scanId}/${task.idx}`, handleScanTask(scans, task))
    return claimed.length
  }

  const tick = async (): Promise<boolean> => {
    let didWork = false
    const room = itemRoom()
    // Busy, with less room than a claim batch: wait for more to finish (each finish wakes the loop).
    const gathering = inFlight.size > 0 && room < claimBatch
    if (room > 0 && !gathering) {
      scansFirst = !scansFirst
      const order = scansFirst ? [claimScanTasks, claimItems] : [claimItems, claimScanTasks]
      for (const claim of order) {
        if ((await claim()) > 0) didWork = true
      }
    }
    if (!didWork && !gathering && Date.now() - lastSweep > SWEEP_EVERY_MS) {
      lastSweep = Date.now()
      for (const jobId of await queue.listDoneUnfinished(100)) await queue.finishJobIfDone(jobId, now())
      await options.scans?.sweep()
    }
    if (
      !didWork &&
      !gathering &&
      options.housekeeping &&
      Date.now() - lastHousekeeping > (options.housekeepingMs ?? 60_000)
    ) {
      lastHousekeeping = Date.now()
      await options
        .housekeeping()
        .catch((err: unknown) => options.logger?.error({ err }, 'housekeeping failed'))
    }
    // Webhooks are delivered beside the items, never in the way of the next claim. A worker busy with items
    // looks for due ones at most once a poll interval after finding none (two statements a look).
    const lookForDeliveries =
      (!didWork && !gathering) || Date.now() - lastEmptyDeliveryCheck >= options.pollMs
    if (deliveries.size < WEBHOOK_CONCURRENCY && lookForDeliveries) {
      const delivery = await claimDelivery()
      if (!delivery) lastEmptyDeliveryCheck = Date.now()
      if (delivery) {
        const p = delivery().finally(() => {
          deliveries.delete(p)
          poke()
        })
        deliveries.add(p)
        didWork = true
      }
    }
    return didWork
  }

  const run = async () => {
    while (running) {
      let didWork = false
      try {
        didWork = await tick()
      } catch (err) {
        options.logger?.error({ err }, 'worker could not claim work; retrying')
      }
      if (!didWork && inFlight.size === 0 && ready.length === 0 && deliveries.size === 0) {
        const waiters = idleWaiters
        idleWaiters = []
        for (const w of waiters) w()
      }
      if (!running) break
      if (!didWork || inFlight.size >= options.concurrency) await sleep(options.pollMs)
      // One turn of the event loop per round: work that completes synchronously (SQLite, small sync reads)
      // would otherwise chain promise to promise and starve timers and sockets (a serve process's requests).
      await nextTurn()
    }
  }

  return {
    id,
    start() {
      if (running) return
      running = true
      loop = run()
    },
    notify() {
      poke()
    },
    async stop() {
      running = false
      poke()
      await loop
      // Prefetched items never started go back to the queue at once (not after their lease), uncounted.
      const unstarted = ready.splice(0)
      for (const item of unstarted) held.release(item)
      await queue
        .unclaim(id, unstarted, now())
        .catch((err: unknown) =>
          options.logger?.error({ err }, 'could not give back prefetched items; their leases will lapse'),
        )
      await Promise.allSettled([...inFlight.values(), ...deliveries])
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve)
        poke()
      }),
  }
}
