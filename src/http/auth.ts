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
    const header = request.headers.authorization
    const bearer = header ? (BEARER.exec(header)?.[1] ?? header) : undefined
    const principal = await tokens.authenticate(bearer)
    if (!principal.scopes.has(scope)) throw new ForbiddenError()
    request.principal = principal
  }
}

/** The principal of a request that passed `requireScope`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is missing its auth hook')
  return request.principal
}
