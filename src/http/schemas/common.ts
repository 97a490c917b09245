import { Type, type TSchema } from 'typebox'
import { CURRENT_VERSION, SUPPORTED_VERSIONS } from '../api-versions.js'

/**
 * Marks a schema as a named component of the OpenAPI document (`#/components/schemas/<name>`). The
 * document's post-processing (src/http/openapi.ts) hoists every schema carrying it; validation and
 * serialisation ignore the keyword.
 */
export const COMPONENT = 'x-component'

/** The named components by name, as defined (the document's `components.schemas`). */
export const COMPONENTS = new Map<string, TSchema>()

export function component<T extends TSchema>(name: string, schema: T): T {
  const named = Object.assign(schema, { [COMPONENT]: name })
  COMPONENTS.set(name, named)
  return named
}

export const ApiVersion = Type.Unsafe<string>({
  type: 'string',
  enum: SUPPORTED_VERSIONS,
  default: CURRENT_VERSION,
  description: `The API version: v1, beta or a dated version (current: ${CURRENT_VERSION}). Any other answers 404.`,
})

export const ApiVersionParams = Type.Object({ apiVersion: ApiVersion })

export const ErrorEnvelope = component(
  'ErrorResponse',
  Type.Object(
    {
      status: Type.Integer({ description: 'The HTTP status, repeated' }),
      error: Type.String({ description: 'e.g. Bad Request, Not Found, Conflict, ConflictError' }),
      error_details: Type.Optional(
        Type.Record(Type.String(), Type.Unknown(), {
          description: 'Absent on 5xx. One key per field or JSON path for 400s; `message`, `name` otherwise.',
        }),
      ),
    },
    {
      additionalProperties: false,
      description: 'The error envelope',
      examples: [
        {
          status: 404,
          error: 'Not Found',
          error_details: {
            name: 'NotFound',
            message: "MediaLibrary Entry does not exist (id: 'yLBGtTjWN4ba')",
          },
        },
      ],
    },
  ),
)

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad Request: the body or query does not fit the schema, or an unknown query parameter',
  401: 'Unauthorized: the access token is missing or invalid',
  403: 'Forbidden: the token lacks the scope',
  404: 'Not Found (also for an unknown API version)',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type: the body is not JSON',
  422: 'Unprocessable: the image could not be rasterised within its limits',
  429: 'Too Many Requests: rate limit exceeded',
  503: 'Service Unavailable: the database does not answer',
}

/** Error responses of a route, each the envelope. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {}
  for (const status of statuses) {
    out[status] = Type.Unsafe({ ...ErrorEnvelope, description: ERROR_DESCRIPTIONS[status] ?? 'Error' })
  }
  return out
}

/** What every authenticated `/api/:apiVersion` route can answer besides its own. */
export const API_ERRORS = [401, 403, 404, 429, 503] as const

export const bearerSecurity = (scope: string) => [{ bearerAuth: [scope] }]

/** The scope line every authenticated operation's description ends with. */
export const scopeNote = (scope: string) => `\n\nRequires a token with the scope \`${scope}\`.`

/**
 * A schema that accepts anything and that the document shows as the named component: for parts the
 * route checks itself (an import's entries each stand or fail alone, in their own result).
 */
export function componentRef(name: string): TSchema {
  return Type.Unsafe({ [COMPONENT_REF]: name })
}
export const COMPONENT_REF = 'x-component-ref'

/** A response whose body is a file in one of `types`, with documented headers. */
export function binaryResponse(
  description: string,
  types: string[],
  headers: Record<string, string>,
): TSchema {
  const content: Record<string, unknown> = {}
  for (const type of types) content[type] = { schema: { type: 'string', format: 'binary' } }
  return Type.Unsafe({ description, content, headers: documentedHeaders(headers) })
}

/** A response without a body (304, 416), with documented headers. */
export function emptyResponse(description: string, headers: Record<string, string>): TSchema {
  return Type.Unsafe({ type: 'null', description, headers: documentedHeaders(headers) })
}

export function documentedHeaders(headers: Record<string, string>): Record<string, TSchema> {
  const out: Record<string, TSchema> = {}
  for (const [name, description] of Object.entries(headers)) out[name] = Type.String({ description })
  return out
}

/** A response schema with the response's description (the schema itself, e.g. a component, unchanged). */
export function described(schema: TSchema, description: string): TSchema {
  return Type.Unsafe({ ...schema, description })
}
