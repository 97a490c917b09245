import type { Config } from '../../config.js'
import { toRecord } from '../../media/entry.js'
import type { LibraryService } from '../../media/library.service.js'
import type { TrashService } from '../../media/trash.service.js'
import { usageRecord } from '../../media/usage-log.js'
import type { TokenService } from '../../projects/token.service.js'
import { principalOf, requireScope } from '../auth.js'
import { ApiVersionParams, bearerSecurity, errorResponses } from '../schemas/common.js'
import { EntryIdParams, NoContent, UsageLogDoc } from '../schemas/entry.schemas.js'
import { TrashList, TrashListQuery } from '../schemas/lifecycle.schemas.js'
import { checkApiVersion } from './context.js'
import type { RoutePlugin } from '../type-provider.js'

export interface MediaLibraryLifecycleRoutesDeps {
  config: Pick<Config, 'trashDays'>
  tokens: TokenService
  library: LibraryService
  trash: TrashService
}

/**
 * `GET /api/:apiVersion/mediaLibrary/{id}/usageLog`, `DELETE /api/:apiVersion/mediaLibrary/{id}` and
 * `GET /api/:apiVersion/trash/mediaLibrary` (issue #16).
 */
export function mediaLibraryLifecycleRoutes(deps: MediaLibraryLifecycleRoutesDeps): RoutePlugin {
  const { tokens, library, trash } = deps
  const trashMs = deps.config.trashDays * 86_400_000
  return async (app) => {
    app.get(
      '/api/:apiVersion/trash/mediaLibrary',
      {
        onRequest: [checkApiVersion, requireScope(tokens, 'public-api:write')],
        schema: {
          tags: ['Media Library'],
          operationId: 'getMediaLibraryTrash',
          summary: 'List the trashed media library entries (medialib extension)',
          description:
            'The entries `DELETE` moved to the trash and the worker has not purged yet, most recently deleted ' +
            'first, each with `deletedAt` and `restorableUntil` (`deletedAt` + `trashDays`; the PATCH operation ' +
            '`restore` brings an entry back until then). Needs `public-api:write`, the scope `restore` needs: ' +
            'read-only tokens (a public front end) do not see what was deleted. As `medialib trash list`.',
          security: bearerSecurity('public-api:write'),
          params: ApiVersionParams,
          querystring: TrashListQuery,
          response: { 200: TrashList, ...errorResponses(400) },
        },
      },
      async (request, reply) => {
        const { project } = principalOf(request)
        const { limit = 100 } = request.query
        reply.header('cache-control', 'no-store')
        const entries = await trash.list(project, limit)
        return {
          results: entries.map((entry) => {
            const deletedAt = entry.deletedAt ?? entry.updatedAt
            const restorableUntil = new Date(Date.parse(deletedAt) + trashMs).toISOString()
            return { ...toRecord(entry), deletedAt, restorableUntil }
          }),
        }
      },
    )

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
