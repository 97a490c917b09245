import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import { createServer } from 'node:http'
import type { Logger } from 'pino'
import type { Services } from './services.js'
import { registerErrorHandling } from './http/errors.js'
import { createImportWorkers } from './media/import-workers.js'
import { createImportBudget } from './http/import-budget.js'
import { registerRateLimit } from './http/rate-limit.js'
import { registerValidatorCompiler } from './http/validator-compiler.js'
import { healthRoutes } from './http/routes/health.routes.js'
import { operationsRoutes } from './http/routes/operations.routes.js'
import { importRoutes } from './http/routes/import.routes.js'
import { mediaLibraryRoutes } from './http/routes/media-library.routes.js'
import { mediaLibraryLifecycleRoutes } from './http/routes/media-library-lifecycle.routes.js'
import { urlImportRoutes } from './http/routes/url-import.routes.js'
import { serveImageRoutes } from './http/routes/serve-image.routes.js'
import { projectRoutes } from './http/routes/project.routes.js'
import { thumbnailRoutes } from './http/routes/thumbnail.routes.js'
import { imageRoutes } from './http/routes/image.routes.js'
import { uiImportsRoutes } from './http/routes/ui-imports.routes.js'
import { uiSourcesRoutes } from './http/routes/ui-sources.routes.js'
import { uiRoutes } from './http/routes/ui.routes.js'
import { registerStandardResponses, swaggerOptions } from './http/openapi.js'
import { registerQueryCheck } from './http/query-check.js'
import { registerActorContext } from './http/actor.js'
import { eventRoutes } from './http/routes/events.routes.js'
import { sourceRoutes } from './http/routes/sources.routes.js'
import { mediaLibraryBatchDeleteRoutes } from './http/routes/media-library-batch-delete.routes.js'
import { tusRoutes } from './http/routes/tus.routes.js'
import { uploadRoutes } from './http/routes/upload.routes.js'

export interface AppOptions {
  logger?: Logger
}

/** Builds the Fastify app on its dependencies. Never listens: `serve` and the tests decide that. */
export async function buildApp(deps: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: deps.config.limits.bodyBytes,
    // Slow or stalled clients are cut off instead of holding sockets forever: a request must arrive whole
    // within requestTimeoutMs (Node checks at a tenth of that), and an idle socket is closed.
    serverFactory: (handler) =>
      createServer(
        {
          requestTimeout: deps.config.limits.requestTimeoutMs,
          headersTimeout: Math.min(60_000, deps.config.limits.requestTimeoutMs),
          connectionsCheckingInterval: Math.max(
            50,
            Math.min(30_000, deps.config.limits.requestTimeoutMs / 10),
          ),
        },
        handler,
      ),
    connectionTimeout: 120_000,
    return503OnClosing: true,
    // One request line per request (written when it is answered, below), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance

  // Set per request by the auth hook (src/http/auth.ts) and the API-version hook (src/http/routes/context.ts);
  // declared up front so every request object has the same shape.
  app.decorateRequest('principal', undefined)
  app.decorateRequest('apiVersion', undefined)
  registerErrorHandling(app, deps.isConnectionError)
  registerValidatorCompiler(app)
  // The API speaks JSON only: other bodies get 415 instead of being parsed as text.
  app.removeContentTypeParser('text/plain')

  await registerRateLimit(app, deps.config.limits.rateLimitPerMinute)

  // Responses are serialised as JSON.stringify does, never trimmed to the response schema: the schemas
  // document them, and the tests check every response against the document (test/helpers/openapi.ts).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  registerStandardResponses(app)
  registerQueryCheck(app)
  registerActorContext(app, deps.actors)

  await app.register(swagger, swaggerOptions(deps.config))
  await app.register(swaggerUi, { routePrefix: '/api/docs' })

  // Metrics: every answered request by route pattern, imported entries and thumbnail times (src/metrics.ts).
  const metrics = deps.createMetrics()
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000)
    request.log.info(
      { req: request, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime },
      'request completed',
    )
  })

  await app.register(healthRoutes(deps.health))
  // Both import routes share one budget of body bytes in flight (finding 10 of issue 13).
  const budget = createImportBudget({
    limitBytes: deps.config.limits.importBytesInFlight,
    waitMs: deps.config.limits.importWaitMs,
    bodyLimitBytes: deps.config.limits.bodyBytes,
  })
  await app.register(operationsRoutes({ ...deps, metrics }))
  // Big import bodies are parsed, validated, written and answered in a worker thread (issue 13, finding 10).
  const importWorkers = createImportWorkers({
    databaseUrl: deps.config.databaseUrl,
    dataDir: deps.config.dataDir,
  })
  app.addHook('onClose', () => importWorkers.close())
  await app.register(
    importRoutes(
      {
        ...deps,
        importer: metrics.countImports(deps.importer),
        importWorkers,
        countImported: metrics.countImported,
      },
      budget,
    ),
  )
  // Read-only sources and their scans (issue #22), before `mediaLibrary/:id` would take `sources`.
  await app.register(sourceRoutes(deps))
  await app.register(mediaLibraryRoutes(deps))
  await app.register(mediaLibraryLifecycleRoutes(deps))
  await app.register(urlImportRoutes(deps, budget))
  await app.register(
    serveImageRoutes({
      ...deps,
      variants: { service: deps.variants, maxAgeSeconds: deps.config.variants.maxAgeSeconds },
    }),
  )
  await app.register(projectRoutes(deps))
  await app.register(thumbnailRoutes({ ...deps, thumbnails: metrics.timeThumbnails(deps.thumbnails) }))
  // Image variants by entry, with named crops and focal point (issue #17).
  await app.register(imageRoutes({ ...deps, maxAgeSeconds: deps.config.variants.maxAgeSeconds }))
  await app.register(uiRoutes(deps))
  await app.register(uiImportsRoutes(deps))
  await app.register(uiSourcesRoutes(deps))
  // Uploads (issue #18): multipart, the CLI's known-hashes question, tus.
  await app.register(uploadRoutes(deps))
  await app.register(tusRoutes(deps))

  // ── Entry lifecycle (issue #16): batch delete and the events feed.
  await app.register(mediaLibraryBatchDeleteRoutes(deps))
  await app.register(eventRoutes(deps))

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  return app
}
