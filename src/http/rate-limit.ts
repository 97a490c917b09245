import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'
import { presentedToken } from './auth.js'

const TOKEN_ID = /^ml_([A-Za-z0-9]+)_/

/**
 * The key a request is counted under: the token's id (never its secret) from the Authorization header,
 * or `ui:` and the id from the UI's session cookie, so that an editor browsing with a token does not
 * spend the budget of a script importing with it (and the reverse); the client address when the request
 * carries no token. It runs before authentication, so it must not trust the token: a forged id only
 * spends that id's budget.
 */
export function rateLimitKey(request: FastifyRequest): string {
  // The token as authentication reads it, so that no spelling authentication accepts escapes its budget.
  const { token, via } = presentedToken(request)
  const id = token === undefined ? undefined : TOKEN_ID.exec(token)?.[1]
  if (!id) return `ip:${request.ip}`
  return via === 'header' ? `token:${id}` : `ui:${id}`
}

/**
 * The UI's page and its static files (GET routes outside `/api/` and `/ui/`) are not counted: they are
 * small, cached, and the browser fetches several per page view. Everything that reads the database is.
 * Decided by the route that matched, not by the request's URL, which can be spelled in ways the router
 * decodes (`/%61pi/…`, an absolute URL) and would otherwise slip past the limit.
 */
export function exemptFromRateLimit(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false
  const route = request.routeOptions.url
  if (route === undefined) return false
  return !route.startsWith('/api/') && !route.startsWith('/ui/')
}

/** Per-token rate limiting; 429 in the API's envelope with `Retry-After`. Off when `perMinute` is 0. */
export async function registerRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute <= 0) return
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: rateLimitKey,
    allowList: exemptFromRateLimit,
    errorResponseBuilder: (_request, context) =>
      new AppError(429, 'Too Many Requests', {
        message: `Rate limit exceeded: at most ${context.max} requests per minute; retry in ${Math.ceil(context.ttl / 1000)} s`,
      }),
  })
}
