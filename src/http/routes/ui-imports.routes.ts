import { Type } from 'typebox'
import type { UrlImportService } from '../../jobs/url-import.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { principalOf, requireScope } from '../auth.js'
import { ErrorEnvelope } from '../schemas/common.js'
import type { RoutePlugin } from '../type-provider.js'

/**
 * The Imports page's job list: `GET /ui/imports` (the project's newest jobs) and `GET /ui/imports/:id`,
 * with each job's items counted by state, so progress shows while a job runs (the reference's status
 * endpoint reports items only once a job has finished). Write scope, like that status endpoint.
 */
export function uiImportsRoutes(deps: {
  tokens: TokenService
  urlImports: Pick<UrlImportService, 'recent' | 'progress'>
}): RoutePlugin {
  const { tokens, urlImports } = deps
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
        const { limit = 20 } = request.query
        reply.header('cache-control', 'no-store')
        return { jobs: await urlImports.recent(project, limit) }
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
        const { id } = request.params
        const job = await urlImports.progress(project, id)
        reply.header('cache-control', 'no-store')
        return job
      },
    )
  }
}
