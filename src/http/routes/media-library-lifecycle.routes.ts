import type { LibraryService } from '../../media/library.service.js'
import type { TrashService } from '../../media/trash.service.js'
import { usageRecord } from '../../media/usage-log.js'
import type { TokenService } from '../../projects/token.service.js'
import { principalOf, requireScope } from '../auth.js'
import { bearerSecurity, errorResponses } from '../schemas/common.js'
import { EntryIdParams, NoContent, UsageLogDoc } from '../schemas/entry.schemas.js'
import { checkApiVersion } from './context.js'
import type { RoutePlugin } from '../type-provider.js'

export interface MediaLibraryLifecycleRoutesDeps {
  tokens: TokenService
  library: LibraryService
  trash: TrashService
}

/** `GET /api/:apiVersion/mediaLibrary/{id}/usageLog` and `DELETE /api/:apiVersion/mediaLibrary/{id}` (issue #16). */
export function mediaLibraryLifecycleRoutes(deps: MediaLibraryLifecycleRoutesDeps): RoutePlugin {
  const { tokens, library, trash } = deps
  return async (app) => {
    app.get(
      '/api/:apiVersion/mediaLibrary/:id/usageLog',
      {
        onRequest: [checkApiVersion, requireScope(tokens, 'public-api:read')],
        schema: {
          tags: ['Media Library'],
          operationId: 'getMediaLibraryEntryUsageLog',
          summary: 'Get the usage log of a media library entry',
          description:
            'The usage-log entries the PATCH operations addUsageLogEntry, updateUsageLogEntry and ' +
            'removeUsageLogEntry keep (release-2026-05), oldest first. Every API version.',
          security: bearerSecurity('public-api:read'),
          params: EntryIdParams,
          response: { 200: UsageLogDoc },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const { id } = request.params
        const entry = await library.getOrFail(project, id)
        return { results: (entry.usageLog ?? []).map(usageRecord) }
      },
    )

    app.delete(
      '/api/:apiVersion/mediaLibrary/:id',
      {
        onRequest: [checkApiVersion, requireScope(tokens, 'media-library:delete')],
        schema: {
          tags: ['Media Library'],
          operationId: 'deleteMediaLibraryEntry',
          summary: 'Delete a media library entry (to the trash; medialib extension)',
          description:
            'Moves the entry to the trash: it is hidden from reads and searches (404) while its id and ' +
            '(systemName, externalId) stay taken, and the PATCH operation `restore` brings it back within ' +
            '`trashDays` (default 30). After that the worker purges it with its original and derived files. ' +
            '409 `ConflictError` naming the reason when the entry has usage-log entries or is stored in ' +
            'archive. Needs the scope `media-library:delete`, which `public-api:write` does not imply.',
          security: bearerSecurity('media-library:delete'),
          params: EntryIdParams,
          response: { 204: NoContent, ...errorResponses(409) },
        },
      },
      async (request, reply) => {
        const { project } = principalOf(request)
        const { id } = request.params
        await trash.delete(project, id)
        return reply.code(204).send()
      },
    )
  }
}
