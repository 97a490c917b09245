import { Type } from 'typebox'
import { BadRequestError } from '../../errors.js'
import type { TokenService } from '../../projects/token.service.js'
import type { SourceService } from '../../sources/source.service.js'
import { principalOf, requireScope } from '../auth.js'
import { ErrorEnvelope } from '../schemas/common.js'
import type { RoutePlugin } from '../type-provider.js'

/** Most ids one question names: a page of the grid is 60. */
export const MISSING_IDS_MAX = 200

/**
 * `GET /ui/source-missing?ids=a,b`: which of the project's entries among `ids` lost their source object
 * (issue #22), for the grid's and the entry page's "Missing" badge. Read scope; another project's ids are
 * never named (the lookup is by the caller's project). The search filter is `sourceState=missing`.
 */
export function uiSourcesRoutes(deps: {
  tokens: TokenService
  sources: Pick<SourceService, 'missingEntryIds'>
}): RoutePlugin {
  const { tokens, sources } = deps
  return async (app) => {
    app.get(
      '/ui/source-missing',
      {
        onRequest: requireScope(tokens, 'public-api:read'),
        schema: {
          hide: true,
          querystring: Type.Object(
            { ids: Type.String({ minLength: 1, maxLength: MISSING_IDS_MAX * 260 }) },
            { additionalProperties: false },
          ),
          response: { 400: ErrorEnvelope, 401: ErrorEnvelope, 403: ErrorEnvelope },
        },
      },
      async (request, reply) => {
        const { project } = principalOf(request)
        const ids = [...new Set(request.query.ids.split(',').filter(Boolean))]
        if (ids.length === 0 || ids.length > MISSING_IDS_MAX) {
          throw new BadRequestError({ ids: `must name 1 to ${MISSING_IDS_MAX} entry ids, comma-separated` })
        }
        reply.header('cache-control', 'no-store')
        return { missing: await sources.missingEntryIds(project, ids) }
      },
    )
  }
}
