import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'

const TOKEN_ID = /^Bearer\s+ml_([A-Za-z0-9]+)_/i

/**
 * The key a request is counted under: the token's id (never its secret), or the client address when
 * the request carries no token. It runs before authentication, so it must not trust the token; a forged
 * id only spends that id's budget.
 */
export function rateLimitKey(request: FastifyRequest): string {
  const id = TOKEN_ID.exec(request.headers.authorization ?? '')?.[1]
  return id ? `token:${id}` : `ip:${request.ip}`
}

/** Per-token rate limiting; 429 in the API's envelope with `Retry-After`. Off when `perMinute` is 0. */
export async function registerRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute <= 0) return
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_request, context) =>
      new AppError(429, 'Too Many Requests', {
        message: `Rate limit exceeded: at most ${context.max} requests per minute; retry in ${Math.ceil(context.ttl / 1000)} s`,
      }),
  })
}
