import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import { ForbiddenError } from '../errors.js'
import type { Principal, Scope, TokenService } from '../projects/token.service.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on routes that need a token. */
    principal?: Principal
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

/**
 * A hook that resolves `Authorization: Bearer <token>` to a principal and checks the scope.
 * The token is looked up on every request, so revocations and new tokens act at once.
 */
export function requireScope(tokens: TokenService, scope: Scope): onRequestHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const presented = presentedToken(request)
    if (presented.via === 'cookie' && presented.token !== undefined) requireUiWriteHeader(request)
    const principal = await tokens.authenticate(presented.token)
    if (!principal.scopes.has(scope)) throw new ForbiddenError(undefined, scope)
    request.principal = principal
  }
}

/** The browser UI's session cookie (set by `POST /ui/login`): HttpOnly, SameSite=Strict, Path=/. */
export const UI_COOKIE = 'medialib_session'
/** The header the UI sends on writes; a cross-site form cannot set it (CSRF guard besides SameSite). */
export const UI_WRITE_HEADER = 'x-medialib-ui'

/**
 * The token a request presents, as authentication reads it (and rate limiting counts it): the
 * Authorization header (`Bearer <token>`, or the bare token), else the UI cookie. The cookie counts only
 * when the request has no Authorization header.
 */
export function presentedToken(request: FastifyRequest): {
  token: string | undefined
  via: 'header' | 'cookie'
} {
  const header = request.headers.authorization
  if (header) return { token: BEARER.exec(header)?.[1] ?? header, via: 'header' }
  return { token: cookieValue(request.headers.cookie, UI_COOKIE), via: 'cookie' }
}

/** A cookie-authenticated request that can change state must carry `x-medialib-ui: 1`, else 403 (docs/ui.md). */
function requireUiWriteHeader(request: FastifyRequest): void {
  const safe = request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS'
  if (!safe && request.headers[UI_WRITE_HEADER] !== '1') {
    throw new ForbiddenError(`Requests authenticated by the UI cookie must send '${UI_WRITE_HEADER}: 1'`)
  }
}

/** One cookie's value from a `Cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** The principal of a request that passed `requireScope`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is missing its auth hook')
  return request.principal
}
