import type { Config } from '../../config.js'
import type { ImportService } from '../../media/import.service.js'
import type { ImportWorkers } from '../../media/import-workers.js'
import type { ProjectService } from '../../projects/project.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { presentImportResult, presentList } from '../api-versions.js'
import { principalOf, requireScope } from '../auth.js'
import { actorOf } from '../actor.js'
import type { ImportBudget } from '../import-budget.js'
import { registerImportBodyParser } from '../import-body-parser.js'
import { ApiVersionParams, bearerSecurity } from '../schemas/common.js'
import { importBodySchema, ImportResponseAny } from '../schemas/import.schemas.js'
import { checkApiVersion, versionOf } from './context.js'
import type { RoutePlugin } from '../type-provider.js'

export interface ImportRoutesDeps {
  config: Config
  tokens: TokenService
  projects: ProjectService
  importer: ImportService
  /** Where big bodies are parsed and imported (see src/http/import-body-parser.ts). */
  importWorkers: ImportWorkers
  /** Counts entries imported in the worker (the importer counts its own). */
  countImported(created: number, failed: number): void
}

/** `POST /api/:apiVersion/import/mediaLibrary`: the synchronous import of entries whose assets are in storage. */
export function importRoutes(deps: ImportRoutesDeps, budget: ImportBudget): RoutePlugin {
  const { config, tokens, projects, importer } = deps
  return async (app) => {
    const parser = registerImportBodyParser(app, {
      bodyLimit: config.limits.bodyBytes,
      workerMinBytes: config.limits.importWorkerBytes,
      maxEntries: config.limits.entriesPerRequest,
      workers: deps.importWorkers,
    })
    app.post(
      '/api/:apiVersion/import/mediaLibrary',
      {
        onRequest: [
          checkApiVersion,
          requireScope(tokens, 'public-api:write'),
          budget.hook,
          parser.releaseOnClose,
        ],
        bodyLimit: config.limits.bodyBytes,
        schema: {
          tags: ['Imports'],
          operationId: 'importMediaLibraryEntries',
          summary: 'Import media library entries',
          description:
            'Creates entries for assets already in storage. HTTP 200 with one result per entry, in request order.',
          security: bearerSecurity('public-api:write'),
          params: ApiVersionParams,
          body: importBodySchema(config.limits.entriesPerRequest),
          response: { 200: ImportResponseAny },
        },
      },
      async (request, reply) => {
        const { project } = principalOf(request)
        const version = versionOf(request)
        const ticket = parser.takeTicket(request)
        if (ticket !== undefined) {
          const done = await deps.importWorkers.import(ticket, project, version.name, actorOf(request))
          deps.countImported(done.created, done.failed)
          return reply.type('application/json; charset=utf-8').send(done.body)
        }
        const { body } = request
        const mediaTypes = await projects.mediaTypesOf(project)
        const results = await importer.importEntries(project, mediaTypes, body.mediaLibraryEntries)
        return presentList(
          results.map((r) => presentImportResult(r, version)),
          version,
        )
      },
    )
  }
}
