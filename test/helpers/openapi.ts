import { appendFileSync } from 'node:fs'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020

/**
 * Checks real responses against the served OpenAPI document (/api/openapi.json): the status must be one
 * the operation declares, the declared headers must be sent, a JSON body must match the status's schema,
 * a file body must have a declared media type, and a response declared without content must be empty.
 * `startTestServer` installs it on every test server (an onSend hook); process-spawning tests check on
 * the client side with `checkResponse`. Violations fail the test: the server's `close()` throws them.
 */

type Json = Record<string, unknown>

interface ResponseDoc {
  headers?: Record<string, unknown>
  content?: Record<string, { schema?: Json }>
}

interface Operation {
  path: string
  responses: Record<string, ResponseDoc>
}

export interface ObservedResponse {
  method: string
  /** The concrete path, e.g. /api/v1/mediaLibrary/abc (no query). */
  path: string
  status: number
  headers: Record<string, string | undefined>
  /** The body as text, or undefined when it is a file (checked by content type only). */
  body: string | undefined
}

export class DocumentChecker {
  private readonly ajv: Ajv2020
  private readonly operations = new Map<string, Operation>()
  private readonly templates: { method: string; regex: RegExp; literals: number; path: string }[] = []
  private readonly validators = new Map<string, ValidateFunction>()
  private readonly errorEnvelope: ValidateFunction

  constructor(document: Json) {
    const rewritten = JSON.parse(
      JSON.stringify(document).replaceAll('"#/components/schemas/', '"medialib-components#/$defs/'),
    ) as Json
    this.ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats(this.ajv)
    this.ajv.addFormat('binary', true)
    const components = (rewritten.components as Json | undefined)?.schemas ?? {}
    this.ajv.addSchema({ $id: 'medialib-components', $defs: components })
    this.errorEnvelope = this.ajv.compile({ $ref: 'medialib-components#/$defs/ErrorResponse' })
    for (const [path, item] of Object.entries((rewritten.paths ?? {}) as Record<string, Json>)) {
      for (const [method, operation] of Object.entries(item)) {
        const responses = (operation as { responses?: Record<string, ResponseDoc> }).responses ?? {}
        this.operations.set(`${method.toUpperCase()} ${path}`, { path, responses })
        const segments = path.split('/')
        const pattern = segments
          .map((s, i) =>
            s.startsWith('{') ? (i === segments.length - 1 && s === '{key}' ? '.+' : '[^/]+') : escape(s),
          )
          .join('/')
        this.templates.push({
          method: method.toUpperCase(),
          regex: new RegExp(`^${pattern}$`),
          literals: segments.filter((s) => !s.startsWith('{')).length,
          path,
        })
      }
    }
    this.templates.sort((a, b) => b.literals - a.literals)
  }

  /** The document's path of a Fastify route (`/api/:apiVersion/x/*` → `/api/{apiVersion}/x/{key}`). */
  static documentPath(routeUrl: string): string {
    return routeUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\/\*$/, '/{key}')
  }

  /** The document's path of a concrete request path, or undefined when no operation matches. */
  matchPath(method: string, path: string): string | undefined {
    const decoded = path.split('?')[0]!
    const get = method === 'HEAD' ? 'GET' : method
    return this.templates.find((t) => t.method === get && t.regex.test(decoded))?.path
  }

  /** The violations of one response (empty when it matches the document). */
  check(response: ObservedResponse, documentPath: string | undefined): string[] {
    const where = `${response.method} ${response.path} → ${response.status}`
    // HEAD answers as GET does, without the body.
    const head = response.method === 'HEAD'
    const method = head ? 'GET' : response.method
    if (head) response = { ...response, body: undefined }
    const operation =
      documentPath === undefined ? undefined : this.operations.get(`${method} ${documentPath}`)
    if (!operation) {
      // No operation: only the router's 404 (or 405) in the envelope is allowed.
      if (response.status === 404 && response.body !== undefined) {
        return this.validate(this.errorEnvelope, response.body, where)
      }
      return [`${where}: no operation in the document for this path`]
    }
    const declared = operation.responses[String(response.status)] ?? operation.responses.default
    if (!declared) {
      return [`${where}: status not declared (declared: ${Object.keys(operation.responses).join(', ')})`]
    }
    const problems: string[] = []
    for (const name of Object.keys(declared.headers ?? {})) {
      if (response.headers[name.toLowerCase()] === undefined) {
        problems.push(`${where}: declared header '${name}' missing`)
      }
    }
    const content = declared.content
    const type = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (!content) {
      if (!head && response.body !== undefined && response.body.length > 0) {
        problems.push(`${where}: declared without a body, but has one`)
      }
      return problems
    }
    const media = Object.keys(content).find((m) => mediaMatches(m, type))
    if (!media) {
      problems.push(`${where}: content type '${type}' not declared (${Object.keys(content).join(', ')})`)
      return problems
    }
    const schema = content[media]?.schema
    if (media === 'application/json' && schema && response.body !== undefined) {
      const key = `${method} ${operation.path} ${response.status}`
      let validate = this.validators.get(key)
      if (!validate) {
        validate = this.ajv.compile(schema)
        this.validators.set(key, validate)
      }
      problems.push(...this.validate(validate, response.body, where))
    }
    return problems
  }

  private validate(validate: ValidateFunction, body: string, where: string): string[] {
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return [`${where}: body is not JSON: ${body.slice(0, 200)}`]
    }
    if (validate(parsed)) return []
    const errors = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    return [`${where}: body does not match the document: ${errors.join('; ')}: ${body.slice(0, 300)}`]
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function mediaMatches(declared: string, actual: string): boolean {
  if (declared === actual || declared === '*/*') return true
  if (declared.endsWith('/*')) return actual.startsWith(declared.slice(0, -1))
  return false
}

/** Counts for the run's summary (`MEDIALIB_OPENAPI_REPORT=<file>` appends one line per server). */
export interface CheckStats {
  checked: number
  skipped: number
  violations: string[]
}

export function reportStats(stats: CheckStats & { side?: 'server' | 'client' }): void {
  const file = process.env.MEDIALIB_OPENAPI_REPORT
  if (!file) return
  const line = {
    side: stats.side ?? 'server',
    checked: stats.checked,
    skipped: stats.skipped,
    violations: stats.violations.length,
  }
  appendFileSync(file, JSON.stringify(line) + '\n')
}

function headersOf(reply: FastifyReply): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {}
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  return out
}

/**
 * Installs the check on a built app (before it listens): every response of a documented route, and every
 * router 404, is checked; hidden routes (the UI, /api/docs, the document itself) are counted as skipped.
 * `finish()` reports the counts and throws the violations.
 */
export function installResponseCheck(app: FastifyInstance): { stats: CheckStats; finish(): void } {
  const stats: CheckStats = { checked: 0, skipped: 0, violations: [] }
  let checker: DocumentChecker | undefined
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const route = request.routeOptions.url
    const hidden =
      route !== undefined && (request.routeOptions.schema as { hide?: boolean } | undefined)?.hide
    if (hidden || (route !== undefined && !route.startsWith('/api/:apiVersion/'))) {
      stats.skipped++
      return payload
    }
    checker ??= new DocumentChecker(app.swagger() as unknown as Json)
    const body =
      typeof payload === 'string' ? payload : payload === null || payload === undefined ? '' : undefined
    const path = request.url.split('?')[0]!
    const problems = checker.check(
      { method: request.method, path, status: reply.statusCode, headers: headersOf(reply), body },
      route === undefined ? undefined : DocumentChecker.documentPath(route),
    )
    stats.checked++
    stats.violations.push(...problems)
    return payload
  })
  return {
    stats,
    finish() {
      reportStats(stats)
      if (stats.violations.length > 0) {
        const list = stats.violations.slice(0, 20).join('\n  ')
        stats.violations.length = 0
        throw new Error(`responses that the OpenAPI document does not allow:\n  ${list}`)
      }
    },
  }
}

/**
 * A client-side checker for servers in other processes: fetches their /api/openapi.json once (with `send`,
 * a fetch that takes a path).
 */
export async function documentCheckerOf(send: (path: string) => Promise<Response>): Promise<DocumentChecker> {
  const res = await send('/api/openapi.json')
  if (res.status !== 200) throw new Error(`/api/openapi.json answered ${res.status}`)
  return new DocumentChecker((await res.json()) as Json)
}

/** Checks a fetched response on the client side (its body already read as text, or undefined for files). */
export function checkResponse(
  checker: DocumentChecker,
  method: string,
  url: string,
  res: Response,
  body: string | undefined,
): string[] {
  const path = new URL(url).pathname
  // Outside the API (the UI, the document, /api/docs): not described by the document.
  if (!path.startsWith('/api/') || path === '/api/openapi.json' || path.startsWith('/api/docs')) return []
  const headers: Record<string, string | undefined> = {}
  res.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value
  })
  return checker.check({ method, path, status: res.status, headers, body }, checker.matchPath(method, path))
}
