import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ActorContext } from '../events/actor-context.js'
import type { Actor } from '../events/entry-events.js'
import { presentedToken } from './auth.js'

/** A request's actor for entry events: the UI (cookie) is a user, a bearer token an API client, by token name. */
export function actorOf(request: FastifyRequest): Actor {
  const principal = request.principal
  const type = presentedToken(request).via === 'cookie' ? 'user' : 'api-client'
  return principal?.tokenName !== undefined ? { type, name: principal.tokenName } : { type }
}

/**
 * Runs every route handler in the actor context of its request. A preHandler hook (not onRequest): by then
 * the token is known, and Fastify calls the handler from this hook's `done`, in the same async context
 * (body parsing, between onRequest and the handler, would leave it).
 */
export function registerActorContext(app: FastifyInstance, actors: ActorContext): void {
  app.addHook('preHandler', (request, _reply, done) => {
    actors.run(
      () => actorOf(request),
      () => done(),
    )
  })
}
