import type { Config } from '../../config.js'
import { AppError } from '../../errors.js'
import { toRecord } from '../../media/entry.js'
import type { BatchPatchItem, BatchPatchOutcome } from '../../media/batch-patch.js'
import type { LibraryService } from '../../media/library.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { failureBody, presentList, type ApiVersion } from '../api-versions.js'
import { principalOf, requireScope } from '../auth.js'
import { ApiVersionParams, bearerSecurity } from '../schemas/common.js'
import { batchPatchBodySchema } from '../schemas/batch-patch.schemas.js'
import { ImportResponseAny } from '../schemas/import.schemas.js'
import { checkApiVersion, versionOf } from './context.js'
import { toPatchRequest } from './media-library-write.routes.js'
import type { RoutePlugin } from '../type-provider.js'

export interface MediaLibraryBatchRoutesDeps {
  config: Config
  tokens: TokenService
  library: LibraryService
}

/** One result in the import's envelope: `ok` with the record, or the entry's error as its PATCH would answer. */
function presentOutcome(outcome: BatchPatchOutcome, version: ApiVersion): Record<string, unknown> {
  const { id } = outcome
  if (outcome.ok) return { ok: true, status: 200, id, record: toRecord(outcome.entry) }
  const failed =
    'failure' in outcome
      ? failureBody(outcome.failure, version)
      : {
          status: outcome.error.status,
          error: outcome.error.error,
          error_details: outcome.error.details ?? {},
        }
  return { ok: false, id, correlation: `id: ${id}`, ...failed }
}

/** `PATCH /api/:apiVersion/mediaLibrary`: many entries, each patched on its own (extension). */
export function mediaLibraryBatchRoutes(deps: MediaLibraryBatchRoutesDeps): RoutePlugin {
  const { config, tokens, library } = deps
  const max = config.limits.patchEntriesPerRequest
  return async (app) => {
    app.patch(
      '/api/:apiVersion/mediaLibrary',
      {
        onRequest: [checkApiVersion, requireScope(tokens, 'public-api:write')],
        bodyLimit: config.limits.bodyBytes,
        schema: {
          tags: ['Media Library'],
          operationId: 'batchUpdateMediaLibraryEntries',
          summary: 'Patch many media library entries (extension)',
          description:
            `Up to ${max} entries (\`limits.patchEntriesPerRequest\`), each \`{id, version?, preserveUpdatedAt?, patches}\` ` +
            'as the body of `PATCH /mediaLibrary/{id}`. Each entry is applied all or none and version-checked on ' +
            'its own, in request order; HTTP 200 with one result per entry in the import envelope ' +
            '(`ok`, `status`, `id`, `record` or `error` and `error_details`), so one refused entry does not ' +
            'sink the others. A malformed body or too many entries: 400, nothing written.',
          security: bearerSecurity('public-api:write'),
          params: ApiVersionParams,
          body: batchPatchBodySchema(max),
          response: { 200: ImportResponseAny },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const version = versionOf(request)
        const { body } = request
        const items = body.entries.map(({ id, ...raw }): BatchPatchItem => {
          try {
            return { id, request: toPatchRequest(raw, version.preserveUpdatedAt) }
          } catch (err) {
            if (err instanceof AppError) return { id, request: err }
            throw err
          }
        })
        const outcomes = await library.patchMany(project, items)
        return presentList(
          outcomes.map((o) => presentOutcome(o, version)),
          version,
        )
      },
    )
  }
}
