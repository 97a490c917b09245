import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Database } from './db/database.js'
import { transientRetries } from './db/retry.js'
import type { ImportService } from './media/import.service.js'
import type { ThumbnailService } from './media/thumbnail.service.js'

/**
 * The server's Prometheus metrics (`GET /metrics`, docs/operations.md), on a registry of its own.
 * Counters and histograms count what this process did; the URL-import and webhook gauges are read from
 * the database at each scrape, so they are the same whichever process (server or `medialib worker`)
 * did the work.
 */
export interface Metrics {
  readonly registry: Registry
  /** One finished HTTP request: its route pattern (not the raw URL), method, status and duration. */
  observeRequest(method: string, route: string, status: number, seconds: number): void
  /** The importer, counting the entries it imports by result. */
  countImports(importer: ImportService): ImportService
  /** Counts entries imported elsewhere (the import worker), by result. */
  countImported(created: number, failed: number): void
  /** The thumbnail service, timing each thumbnail it makes or reads. */
  timeThumbnails(thumbnails: ThumbnailService): ThumbnailService
}

const URL_IMPORT_STATES = ['queued', 'running', 'success', 'skipped', 'failed'] as const
const WEBHOOK_STATES = ['pending', 'delivered', 'failed'] as const

export function createMetrics(database: Database): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const { db, caps } = database

  const requests = new Counter({
    name: 'medialib_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'medialib_http_request_duration_seconds',
    help: 'HTTP request duration, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  })
  const imported = new Counter({
    name: 'medialib_imported_entries_total',
    help: 'Entries of POST /import/mediaLibrary requests, by result (created or failed)',
    labelNames: ['result'] as const,
    registers: [registry],
  })
  const countImported = (created: number, failed: number) => {
    if (created > 0) imported.inc({ result: 'created' }, created)
    if (failed > 0) imported.inc({ result: 'failed' }, failed)
  }
  const thumbnailTime = new Histogram({
    name: 'medialib_thumbnail_seconds',
    help: 'Time to answer a thumbnail (made from the original, or read from the variant cache), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })

  /** A gauge per state, from rows `{state, n}` counted in the database at each scrape. */
  const stateGauge = (
    name: string,
    help: string,
    states: readonly string[],
    count: () => Promise<{ state: string | null; n: unknown }[]>,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        const counts = new Map((await count()).map((r) => [r.state, Number(r.n)]))
        for (const state of states) this.set({ state }, counts.get(state) ?? 0)
      },
    })

  stateGauge(
    'medialib_url_import_items',
    'URL-import items in the database, by state',
    URL_IMPORT_STATES,
    () =>
      db
        .selectFrom('import_items')
        .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('state')
        .execute(),
  )
  new Gauge({
    name: 'medialib_url_import_queue_depth',
    help: 'URL-import items waiting for a worker (queued, including retries not yet due)',
    registers: [registry],
    async collect() {
      const row = await db
        .selectFrom('import_items')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', '=', 'queued')
        .executeTakeFirst()
      this.set(Number(row?.n ?? 0))
    },
  })
  new Gauge({
    name: 'medialib_url_import_queue_oldest_age_seconds',
    help: 'Age of the longest-waiting queued URL-import item (0 when none waits)',
    registers: [registry],
    async collect() {
      const row = await db
        .selectFrom('import_items')
        .select((eb) => eb.fn.min('updated_at').as('oldest'))
        .where('state', '=', 'queued')
        .executeTakeFirst()
      const oldest = row?.oldest == null ? undefined : Date.parse(caps.fromTime(row.oldest))
      this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000))
    },
  })
  stateGauge('medialib_webhook_deliveries', 'Import-job webhooks, by delivery state', WEBHOOK_STATES, () =>
    db
      .selectFrom('import_jobs')
      .select(['webhook_state as state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('webhook_state', 'is not', null)
      .groupBy('webhook_state')
      .execute(),
  )
  new Gauge({
    name: 'medialib_db_pool_connections',
    help: 'PostgreSQL pool connections of this process, by state (total, idle, waiting requests)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = database.poolStats?.()
      if (!stats) return
      this.set({ state: 'total' }, stats.total)
      this.set({ state: 'idle' }, stats.idle)
      this.set({ state: 'waiting' }, stats.waiting)
    },
  })
  new Gauge({
    name: 'medialib_db_transaction_retries',
    help: 'Import transactions run again after a busy or deadlock error since the process started',
    labelNames: ['dialect'] as const,
    registers: [registry],
    collect() {
      this.set({ dialect: caps.name }, transientRetries[caps.name])
    },
  })

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      const labels = { method, route, status: String(status) }
      requests.inc(labels)
      latency.observe(labels, seconds)
    },
    countImports(importer) {
      return {
        async importEntries(project, mediaTypes, rawEntries, options) {
          const results = await importer.importEntries(project, mediaTypes, rawEntries, options)
          let created = 0
          for (const r of results) if (r.ok) created++
          countImported(created, results.length - created)
          return results
        },
      }
    },
    countImported,
    timeThumbnails(thumbnails) {
      return {
        async get(project, entry, width, accept) {
          const end = thumbnailTime.startTimer()
          try {
            const thumbnail = await thumbnails.get(project, entry, width, accept)
            end({ outcome: 'ok' })
            return thumbnail
          } catch (err) {
            end({ outcome: 'error' })
            throw err
          }
        },
      }
    },
  }
}
