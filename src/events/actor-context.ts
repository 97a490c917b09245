import { AsyncLocalStorage } from 'node:async_hooks'
import type { Actor } from './entry-events.js'

/**
 * Who is acting, for the entry events a change writes. The HTTP layer runs each request in a context whose
 * actor is read when an event is written (the request's token is known by then); the URL-import worker
 * runs as the importer. Outside any context (the CLI) the actor is a user.
 */
export interface ActorContext {
  run<T>(actor: Actor | (() => Actor), fn: () => T): T
  current(): Actor
}

export function createActorContext(fallback: Actor = { type: 'user' }): ActorContext {
  const storage = new AsyncLocalStorage<() => Actor>()
  return {
    run: (actor, fn) => storage.run(typeof actor === 'function' ? actor : () => actor, fn),
    current: () => storage.getStore()?.() ?? fallback,
  }
}

/** The same service, each of its methods run as `actor` (the URL-import worker's importer and library). */
export function actingAs<T extends object>(context: ActorContext, actor: Actor, service: T): T {
  return new Proxy(service, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) =>
        context.run(actor, () => (value as (...a: unknown[]) => unknown).apply(target, args))
    },
  })
}
