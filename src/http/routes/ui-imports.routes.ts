import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import type { ImportJobList, ImportJobProgress } from '../../db/import-job-list.js'
import { NotFoundError } from '../../errors.js'
import type { TokenService } from '../../projects/token.service.js'
import { principalOf, requireScope } from '../auth.js'
import { ErrorEnvelope } from '../schemas/common.js'

/** What the Imports page shows of a job: no URLs, webhook address or context, only states and counts. */
function jobView(job: ImportJobProgress) {
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
    ...(job.webhook === undefined
      ? {}
      : {
          webhook: {
            state: job.webhookState ?? 'waiting',
            attempts: job.webhookAttempts,
            ...(job.webhookError ? { lastError: job.webhookError } : {}),
          },
        }),
  }
}

/**
 * The Imports page's job list: `GET /ui/imports` (the project's newest jobs) and `GET /ui/imports/:id`,
 * with each job's items counted by state, so progress shows while a job runs (the reference's status
 * endpoint reports items only once a job has finished). Write scope, like that status endpoint.
 */
export function uiImportsRoutes(deps: {
  tokens: TokenService
  importJobList: ImportJobList
}): FastifyPluginAsync {
  const { tokens, importJobList } = deps
  const write = requireScope(tokens, 'public-api:write')
  return async (app) => {
    app.get(
      '/ui/imports',
      {
        onRequest: write,
        schema: {
          hide: true,
          querystring: Type.Object(
            { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })) },
            { additionalProperties: false },
          ),
          response: { 400: ErrorEnvelope, 401: ErrorEnvelope, 403: ErrorEnvelope },
        },
      },
      async (request, reply) => {
        const { project } = principalOf(request)
        const { limit = 20 } = request.query as { limit?: number }
        reply.header('cache-control', 'no-store')
        return { jobs: (await importJobList.recent(project, limit)).map(jobView) }
      },
    )
    app.get(
      '/ui/imports/:id',
      {
        onRequest: write,
        schema: {
          hide: true,
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }),
          response: { 401: ErrorEnvelope, 403: ErrorEnvelope, 404: ErrorEnvelope },
        },
      },
      async (request, reply) => {
        const { project } = principalOf(request)
        const { id } = request.params as { id: string }
        const job = await importJobList.progress(project, id)
        if (!job)
          throw new NotFoundError({ name: 'NotFound', message: `Import job does not exist (id: '${id}')` })
        reply.header('cache-control', 'no-store')
        return jobView(job)
      },
    )
  }
}
