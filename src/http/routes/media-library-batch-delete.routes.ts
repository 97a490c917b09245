import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.js'
import { deleteEach, type BatchDeleteOutcome } from '../../media/batch-delete.js'
import type { TrashService } from '../../media/trash.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { presentList } from '../api-versions.js'
import { principalOf, requireScope } from '../auth.js'
import { ApiVersionParams, bearerSecurity, described } from '../schemas/common.js'
import { batchDeleteBodySchema } from '../schemas/lifecycle.schemas.js'
import { ImportResponseAny } from '../schemas/import.schemas.js'
import { checkApiVersion, versionOf } from './context.js'

export interface MediaLibraryBatchDeleteRoutesDeps {
  config: Config
  tokens: TokenService
  trash: TrashService
}

/** One id's result in the import's envelope: `ok` with status 204, or the error its DELETE would answer. */
function presentOutcome(outcome: BatchDeleteOutcome): Record<string, unknown> {
  if (outcome.ok) return { ok: true, status: 204, id: outcome.id }
  const { error } = outcome
  return {
    ok: false,
    id: outcome.id,
    correlation: `id: ${outcome.id}`,
    status: error.status,
    error: error.error,
    error_details: error.details ?? {},
  }
}

/** `POST /api/:apiVersion/mediaLibrary/delete`: many entries to the trash (issue #16, extension). */
export function mediaLibraryBatchDeleteRoutes(deps: MediaLibraryBatchDeleteRoutesDeps): FastifyPluginAsync {
  const { config, tokens, trash } = deps
  const max = config.limits.deleteEntriesPerRequest
  return async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>()
    app.post(
      '/api/:apiVersion/mediaLibrary/delete',
      {
        onRequest: [checkApiVersion, requireScope(tokens, 'media-library:delete')],
        schema: {
          tags: ['Media Library'],
          operationId: 'batchDeleteMediaLibraryEntries',
          summary: 'Delete many media library entries (to the trash; medialib extension)',
          description:
            `Up to ${max} ids (\`limits.deleteEntriesPerRequest\`), each moved to the trash exactly as ` +
            '`DELETE /mediaLibrary/{id}` does, in request order. HTTP 200 with one result per id in the import ' +
            'envelope: `{ok: true, status: 204, id}`, or `ok: false` with the status, `error` and `error_details` ' +
            'the single DELETE would answer (404 `Not Found` for an unknown or already deleted id, 409 ' +
            '`ConflictError` naming the reason for a used or protected entry). A malformed body or too many ids: ' +
            '400, nothing deleted. A POST (not a DELETE with a body), because generated clients and proxies ' +
            'handle a DELETE body badly. Needs the scope `media-library:delete`.',
          security: bearerSecurity('media-library:delete'),
          params: ApiVersionParams,
          body: batchDeleteBodySchema(max),
          response: {
            200: described(
              ImportResponseAny,
              'One result per id, in request order, in the wrapper of the API version',
            ),
          },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const outcomes = await deleteEach(trash, project, request.body.ids)
        return presentList(outcomes.map(presentOutcome), versionOf(request))
      },
    )
  }
}
