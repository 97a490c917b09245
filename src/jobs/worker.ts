import { randomUUID } from 'node:crypto'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { ImportJobRepository } from '../db/import-job.repository.js'
import type { JobQueueRepository } from '../db/job-queue.repository.js'
import type { WebhookOutboxRepository } from '../db/webhook-outbox.repository.js'
import { heldItems } from './held-items.js'
import { itemFinisher } from './item-finisher.js'
import type { ImportItem, ImportJob } from './import-job.js'
import type { ItemProcessor } from './item-processor.js'
import { wakeableSleep } from './wake.js'
import { whileRenewing, workerDeliveries } from './worker-deliveries.js'
import type { SafeFetcher } from './safe-fetcher.js'
import type { EntryWebhookDeliverer } from '../events/webhook-delivery.js'
import type { ScanTask } from '../db/source-scan.types.js'
import type { ScanTaskRunner } from '../sources/scan-tasks.js'

const SWEEP_EVERY_MS = 1_000
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
  /** Where the last claim's round-robin over projects stopped (see JobQueueRepository.claim). */
  let lastProject: string | undefined
  let lastScanProject: string | undefined
  /** Which queue is claimed first this tick: they alternate, so neither starves the other. */
  let scansFirst = false
  const jobCache = new Map<string, ImportJob>()
  let running = false
  const { poke, sleep } = wakeableSleep()
  let loop: Promise<void> | undefined
  let idleWaiters: (() => void)[] = []
  let lastSweep = 0
  let lastHousekeeping = 0
  const claimBatch = claimBatchOf(options.concurrency)
  const deliveries = workerDeliveries({
    workerId: id,
    jobs,
    outbox,
    ...(options.entryWebhooks ? { entryWebhooks: options.entryWebhooks } : {}),
    fetcher: options.fetcher,
    leaseMs: options.leaseMs,
    pollMs: options.pollMs,
    retryBaseMs: options.retryBaseMs,
    ...(options.logger ? { logger: options.logger } : {}),
    now,
    settled: () => poke(),
  })
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
  const finisher = itemFinisher(queue, held, id, now)

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
        deliveries.due() // its webhook is due now
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

  /** A claimed scan task, run with its lease renewed while in progress. */
  const handleScanTask = (scans: ScanTaskRunner, task: ScanTask) =>
    whileRenewing(
      options.leaseMs,
      now,
      (until) => scans.renew(id, task, until),
      () => scans.run(task, id),
    ).catch((err: unknown) => {
      options.logger?.error(
        { err, scan: task.scanId, task: task.idx },
        'scan task crashed; its lease will lapse',
      )
    })

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
    // Webhooks are delivered beside the items, never in the way of the next claim.
    if (await deliveries.startNext(didWork || gathering)) didWork = true
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
      await Promise.allSettled([...inFlight.values(), ...deliveries.inProgress()])
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve)
        poke()
      }),
  }
}
