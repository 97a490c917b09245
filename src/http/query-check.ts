import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import { BadRequestError } from '../errors.js'

/**
 * Marks a query parameter that takes a comma-separated list: it is also accepted as an array, the ways
 * clients encode one (`ids[0]=a&ids[1]=b` as qs does, `ids[]=a&ids[]=b`, `ids=a&ids=b`), joined with commas.
 */
export const LIST_PARAM = 'x-comma-list'

interface QuerySchema {
  properties?: Record<string, Record<string, unknown>>
}

const BRACKETED = /^([A-Za-z][A-Za-z0-9_]*)\[(\d*)\]$/

function values(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [String(value)]
}

/** The query with list parameters joined; the names that the route does not take. */
/** Fastify's parsed query string: an object of strings and string arrays (or nothing). */
const isQueryObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

export function normalizeQuery(
  query: Record<string, unknown>,
  known: ReadonlySet<string>,
  lists: ReadonlySet<string>,
): { query: Record<string, unknown>; unknown: string[] } {
  const out: Record<string, unknown> = {}
  const parts = new Map<string, { index: number; order: number; value: string }[]>()
  const unknown: string[] = []
  let order = 0
  for (const [key, value] of Object.entries(query)) {
    const bracketed = BRACKETED.exec(key)
    const name = bracketed ? bracketed[1]! : key
    if (lists.has(name) && (bracketed || Array.isArray(value))) {
      const index = bracketed?.[2] ? Number(bracketed[2]) : Number.MAX_SAFE_INTEGER
      const list = parts.get(name) ?? []
      for (const v of values(value)) list.push({ index, order: order++, value: v })
      parts.set(name, list)
    } else if (known.has(key)) {
      out[key] = value
    } else {
      unknown.push(key)
    }
  }
  for (const [name, list] of parts) {
    list.sort((a, b) => a.index - b.index || a.order - b.order)
    const joined = list.map((p) => p.value)
    if (out[name] !== undefined) joined.unshift(...values(out[name]))
    out[name] = joined.join(',')
  }
  return { query: out, unknown }
}

/**
 * Every API and UI route refuses query parameters it does not take, with a 400 naming them, instead of
 * ignoring them (a misspelt `?idz=a` must not answer the whole library). Call before the routes are
 * registered: it reads each route's querystring schema.
 */
export function registerQueryCheck(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const url = route.url
    const operatorRoute = url === '/livez' || url === '/readyz' || url === '/metrics'
    if (!(url.startsWith('/api/') || url.startsWith('/ui/') || operatorRoute) || url.startsWith('/api/docs'))
      return
    const properties = (route.schema?.querystring as QuerySchema | undefined)?.properties ?? {}
    const known = new Set(Object.keys(properties))
    const lists = new Set(Object.keys(properties).filter((k) => properties[k]?.[LIST_PARAM] === true))
    const takes =
      known.size === 0 ? 'this route takes no query parameters' : `this route takes: ${[...known].join(', ')}`
    const check = async (request: FastifyRequest) => {
      const query: unknown = request.query
      if (!isQueryObject(query) || Object.keys(query).length === 0) return
      const normalized = normalizeQuery(query, known, lists)
      if (normalized.unknown.length > 0) {
        const details: Record<string, string> = {
          message: `Unknown query parameter${normalized.unknown.length > 1 ? 's' : ''}: ${normalized.unknown.join(', ')}; ${takes}`,
        }
        for (const name of normalized.unknown) details[name] = 'is not a query parameter of this route'
        throw new BadRequestError(details)
      }
      request.query = normalized.query
    }
    const existing = route.preValidation
    route.preValidation =
      existing === undefined ? [check] : [check, ...(Array.isArray(existing) ? existing : [existing])]
  })
}
