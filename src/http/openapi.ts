import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { Type, type TSchema } from 'typebox'
import type { Config } from '../config.js'
import {
  COMPONENT,
  COMPONENT_REF,
  COMPONENTS,
  documentedHeaders,
  errorResponses,
  scopeNote,
} from './schemas/common.js'

/** The tags of the document, in the order /api/docs lists them. Every operation uses one of these. */
export const TAGS = [
  { name: 'Media Library', description: 'Media library entries: read, search, patch, serve' },
  { name: 'Imports', description: 'The synchronous import and the asynchronous imports from URLs' },
  { name: 'Project', description: "Extension: the token's project" },
  { name: 'Events', description: 'Extension: entry events as a feed (the same events webhooks get)' },
  { name: 'Sources', description: 'Extension: read-only sources and their scans (docs/sources.md)' },
  {
    name: 'Uploads',
    description: 'Extension: file uploads, multipart and resumable (tus 1.0), docs/upload.md',
  },
  { name: 'Health', description: 'API status' },
  { name: 'Operations', description: 'Probes and metrics for operators (docs/operations.md)' },
]

const SCOPES_DESCRIPTION =
  'An access token of one project (`medialib tokens create`), sent as `Authorization: Bearer <token>`. ' +
  'Tokens carry scopes: `public-api:read` for reads, `public-api:write` for imports and patches, ' +
  "`media-library:delete` (medialib's, not implied by write) for deletes; each " +
  'operation lists the scope it needs in its security requirement and its description. A missing or ' +
  'invalid token answers 401, a token without the scope 403.'

/** Path parameters spelt `*` in the route (serve-image's key may contain `/`) are documented as `key`. */
const WILDCARD_NAME = 'key'

function publicServer(config: Config): string {
  return (config.publicBaseUrl || `http://${config.host}:${config.port}`).replace(/\/+$/, '')
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** Replaces every schema marked as a component (or a reference to one) by its `$ref`. */
function hoist(node: Json, root = true): Json {
  if (Array.isArray(node)) return node.map((n) => hoist(n, false))
  if (node === null || typeof node !== 'object') return node
  if (!root) {
    const name = node[COMPONENT] ?? node[COMPONENT_REF]
    if (typeof name === 'string') {
      const ref: Record<string, Json> = { $ref: `#/components/schemas/${name}` }
      // A reference may carry its own description (an error response's), which OpenAPI 3.1 allows.
      if (typeof node.description === 'string' && node[COMPONENT_REF] === undefined) {
        const own = (COMPONENTS.get(name) as { description?: string } | undefined)?.description
        if (node.description !== own) ref.description = node.description
      }
      return ref
    }
  }
  const out: Record<string, Json> = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === COMPONENT || key === COMPONENT_REF) continue
    out[key] = hoist(value, false)
  }
  return out
}

/** @fastify/swagger's options: OpenAPI 3.1 from the route schemas, then named components hoisted. */
export function swaggerOptions(config: Config): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'medialib',
        description:
          'A media library server speaking the Livingdocs public API for the media library. ' +
          'Errors use the envelope `{status, error, error_details}` (ErrorResponse).',
        version: '0.1.0',
        license: { name: 'MIT', identifier: 'MIT' },
        contact: { name: 'medialib maintainers' },
      },
      servers: [{ url: publicServer(config) }],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: SCOPES_DESCRIPTION },
          metricsToken: {
            type: 'http',
            scheme: 'bearer',
            description: "The operator's `metrics.token` (docs/operations.md); not an API token.",
          },
        },
      },
    },
    transform: ({ schema, url }) => {
      if (!schema) return { schema, url }
      const copy: Record<string, unknown> = { ...schema }
      const security = schema.security as { bearerAuth?: string[] }[] | undefined
      const scope = security?.[0]?.bearerAuth?.[0]
      if (scope) {
        copy.description = `${(schema.description as string | undefined) ?? ''}${scopeNote(scope)}`.trim()
        // The reference lists the scope on the bearer requirement; OpenAPI reserves scopes for OAuth2 and
        // OpenID Connect, so the document names it in the description and in `x-scopes` instead.
        copy.security = [{ bearerAuth: [] }]
        copy['x-scopes'] = [scope]
      }
      let documented = url
      const params = schema.params as
        { properties?: Record<string, unknown>; required?: string[] } | undefined
      if (url.endsWith('/*') && params?.properties?.['*'] !== undefined) {
        documented = `${url.slice(0, -1)}:${WILDCARD_NAME}`
        const { '*': wildcard, ...rest } = params.properties ?? {}
        copy.params = {
          ...params,
          properties: { ...rest, [WILDCARD_NAME]: wildcard },
          required: [...(params.required ?? []).filter((n) => n !== '*'), WILDCARD_NAME],
        }
      }
      return { schema: copy as typeof schema, url: documented }
    },
    transformObject: (documentObject) => {
      const built = 'openapiObject' in documentObject ? documentObject.openapiObject : {}
      const document = JSON.parse(JSON.stringify(built)) as Record<string, Json>
      const schemas: Record<string, Json> = {}
      for (const [name, schema] of [...COMPONENTS].sort(([a], [b]) => a.localeCompare(b))) {
        schemas[name] = hoist(JSON.parse(JSON.stringify(schema)) as Json)
      }
      const hoisted = hoist(document) as Record<string, Json>
      const components = hoisted.components as Record<string, Json>
      components.schemas = schemas
      return hoisted
    },
  }
}

/**
 * Adds the error responses every API route can give to its schema, so that each route declares all its
 * statuses without repeating them: 400 (an unknown query parameter, src/http/query-check.ts), 404 (an
 * unknown API version), 429 (rate limit), 503 (the database does not answer), 401 and 403 on routes that
 * need a token, 413 and 415 on routes with a body. Call before the routes are registered.
 */
export function registerStandardResponses(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/api/:apiVersion/')) return
    const schema = (route.schema ??= {}) as { response?: Record<string, TSchema>; security?: unknown[] }
    const statuses = [400, 404, 429, 503]
    if (schema.security && schema.security.length > 0) statuses.push(401, 403)
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (methods.some((m) => m === 'POST' || m === 'PATCH' || m === 'PUT')) statuses.push(413, 415)
    const standard = errorResponses(...statuses)
    const response = (schema.response ??= {})
    for (const [status, error] of Object.entries(standard)) response[status] ??= error
    if (response[429]) response[429] = withHeaders(response[429], { 'retry-after': 'Seconds until a retry' })
  })
}

/** A response schema with documented headers (the document's `headers`; the tests check they are sent). */
export function withHeaders(schema: TSchema, headers: Record<string, string>): TSchema {
  return Type.Unsafe({ ...schema, headers: documentedHeaders(headers) })
}
