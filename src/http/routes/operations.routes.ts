import { timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import { NotFoundError, UnauthorizedError } from '../../errors.js'
import type { HealthService } from '../../health.service.js'
import type { Metrics } from '../../metrics.js'
import { ErrorEnvelope } from '../schemas/common.js'
import type { RoutePlugin } from '../type-provider.js'

const Ok = Type.Object({ status: Type.Literal('ok') })
const CheckResults = Type.Object({
  database: Type.String({ description: '`ok`, or why the database does not answer' }),
  storage: Type.String({ description: '`ok`, or why a probe blob could not be written and removed' }),
  migrations: Type.String({ description: '`ok`, or the migrations the database has not run' }),
})
const Ready = Type.Object({ status: Type.Literal('ok'), checks: CheckResults })
const NotReady = Type.Object({ status: Type.Literal('unavailable'), checks: CheckResults })

function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function bearer(request: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1]
}

/**
 * Probes and metrics for operators (docs/operations.md): `GET /livez` (the process answers),
 * `GET /readyz` (database reachable, storage writable, migrations current), and `GET /metrics`
 * (Prometheus text; 404 unless `metrics.enabled`, and behind `metrics.token` when one is set).
 */
export function operationsRoutes(deps: {
  health: Pick<HealthService, 'readiness'>
  config: Pick<Config, 'metrics'>
  metrics: Metrics
}): RoutePlugin {
  const { health, config, metrics } = deps
  return async (app) => {
    app.get(
      '/livez',
      {
        schema: {
          operationId: 'getLivez',
          tags: ['Operations'],
          summary: 'Liveness: the process answers HTTP (checks nothing else)',
          description: 'For a liveness probe: 200 while the process serves HTTP; it checks no dependency.',
          security: [],
          response: { 200: Ok, 400: ErrorEnvelope },
        },
      },
      async () => ({ status: 'ok' as const }),
    )

    app.get(
      '/readyz',
      {
        schema: {
          operationId: 'getReadyz',
          tags: ['Operations'],
          summary: 'Readiness: the database answers, storage is writable and the migrations are current',
          description:
            'For a readiness probe: 200 with each check `ok`, else 503 with the failing checks and their causes.',
          security: [],
          response: { 200: Ready, 400: ErrorEnvelope, 503: NotReady },
        },
      },
      async (_request, reply) => {
        const checks = await health.readiness()
        const ready = Object.values(checks).every((c) => c === 'ok')
        if (ready) return { status: 'ok' as const, checks }
        return reply.status(503).send({ status: 'unavailable' as const, checks })
      },
    )

    app.get(
      '/metrics',
      {
        schema: {
          operationId: 'getMetrics',
          tags: ['Operations'],
          summary: 'Prometheus metrics (off unless metrics.enabled; behind metrics.token when set)',
          description:
            'Prometheus text format: requests and latency per route and status, imports, URL-import items and ' +
            'queue, webhook deliveries, thumbnail time, database pool, process. 404 while metrics are off.',
          // Open when no metrics.token is set, else the operator's token.
          security: [{}, { metricsToken: [] }],
          response: {
            200: {
              description: 'Prometheus text exposition format 0.0.4',
              content: { 'text/plain': { schema: Type.String() } },
            },
            400: ErrorEnvelope,
            401: ErrorEnvelope,
            404: ErrorEnvelope,
          },
        },
      },
      async (request, reply) => {
        if (!config.metrics.enabled) throw new NotFoundError({ url: request.url })
        if (config.metrics.token) {
          const presented = bearer(request)
          if (!presented || !sameSecret(presented, config.metrics.token))
            throw new UnauthorizedError('The metrics token is missing or wrong.')
        }
        const text = await metrics.registry.metrics()
        return reply.type(metrics.registry.contentType).send(text)
      },
    )
  }
}
