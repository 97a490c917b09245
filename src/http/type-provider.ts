import type { FastifyPluginAsync, FastifyTypeProvider, RawServerDefault } from 'fastify'
import type { Static, TSchema } from 'typebox'

/**
 * Types `request.params`, `query` and `body` from the route's TypeBox schemas, as
 * `@fastify/type-provider-typebox`'s TypeBoxTypeProvider does (the same `validator` type), but leaves replies untyped: the presenters
 * shape a reply per API version (src/http/api-versions.ts), and the response schemas document every
 * version at once. Replies are held to the document by the tests' response check (test/helpers/openapi.ts)
 * and `npm run lint:openapi` instead.
 */
export interface RequestTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown
  serializer: unknown
}

/** A route plugin whose requests are typed from their schemas (see RequestTypeProvider). */
export type RoutePlugin = FastifyPluginAsync<Record<never, never>, RawServerDefault, RequestTypeProvider>
