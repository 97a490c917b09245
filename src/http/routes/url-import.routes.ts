import type { Config } from '../../config.js'
import type { ImportKind } from '../../jobs/import-job.js'
import type { UrlImportService } from '../../jobs/url-import.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { principalOf, requireScope } from '../auth.js'
import { ApiVersionParams, bearerSecurity, described } from '../schemas/common.js'
import {
  jobStatusSchema,
  StatusQuery,
  UrlImportQueued,
  urlImportBodySchema,
} from '../schemas/url-import.schemas.js'
import { checkApiVersion } from './context.js'
import type { ImportBudget } from '../import-budget.js'
import type { RoutePlugin } from '../type-provider.js'

const KINDS: ImportKind[] = ['images', 'videos', 'files']

/** The reference's operationIds. */
const IMPORT_OPERATIONS = { images: 'importImage', videos: 'importVideos', files: 'importFiles' }
const STATUS_OPERATIONS = {
  images: 'getImageImportStatus',
  videos: 'getVideoImportStatus',
  files: 'getFileImportStatus',
}

/** `POST /api/:apiVersion/import/images|videos|files` and their `GET …/status?id=`: the asynchronous URL imports. */
export function urlImportRoutes(
  deps: {
    config: Config
    tokens: TokenService
    urlImports: UrlImportService
  },
  budget: ImportBudget,
): RoutePlugin {
  const { config, tokens, urlImports } = deps
  const write = requireScope(tokens, 'public-api:write')
  return async (app) => {
    for (const kind of KINDS) {
      app.post(
        `/api/:apiVersion/import/${kind}`,
        {
          onRequest: [checkApiVersion, write, budget.hook],
          schema: {
            tags: ['Imports'],
            operationId: IMPORT_OPERATIONS[kind],
            summary: `Import ${kind} from URLs (asynchronous)`,
            description:
              'Queues a job that fetches each URL, stores and measures the file, and creates or updates the entry ' +
              '(the item `id` is its externalId). Answers the job id at once; see the status endpoint.',
            security: bearerSecurity('public-api:write'),
            params: ApiVersionParams,
            body: urlImportBodySchema(kind, config.limits.entriesPerRequest),
            response: { 200: described(UrlImportQueued, 'The job is queued') },
          },
        },
        async (request) => {
          const { project } = principalOf(request)
          const { body } = request
          const id = await urlImports.queue(project, kind, {
            systemName: body.systemName,
            ...(body.webhook !== undefined ? { webhook: body.webhook } : {}),
            ...(body.context !== undefined ? { context: body.context } : {}),
            items: body[kind],
          })
          return { id }
        },
      )
      app.get(
        `/api/:apiVersion/import/${kind}/status`,
        {
          onRequest: [checkApiVersion, write, budget.hook],
          schema: {
            tags: ['Imports'],
            operationId: STATUS_OPERATIONS[kind],
            summary: `State of a ${kind} URL import`,
            security: bearerSecurity('public-api:write'),
            params: ApiVersionParams,
            querystring: StatusQuery,
            response: { 200: described(jobStatusSchema(kind), 'The state of the job') },
          },
        },
        async (request) => {
          const { project } = principalOf(request)
          return urlImports.status(project, kind, request.query.id)
        },
      )
    }
  }
}
