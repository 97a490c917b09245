import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import type { EntryEventFeed } from '../../events/entry-webhook.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { principalOf, requireScope } from '../auth.js'
import { ApiVersionParams, bearerSecurity } from '../schemas/common.js'
import { EventPage, EventsQuery } from '../schemas/lifecycle.schemas.js'
import { checkApiVersion } from './context.js'

export interface EventRoutesDeps {
  tokens: TokenService
  eventFeed: EntryEventFeed
}

/** `GET /api/:apiVersion/events`: the entry events as a feed to poll (issue #16). */
export function eventRoutes(deps: EventRoutesDeps): FastifyPluginAsync {
  const { tokens, eventFeed } = deps
  return async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>()
    app.get(
      '/api/:apiVersion/events',
      {
        onRequest: [checkApiVersion, requireScope(tokens, 'public-api:read')],
        schema: {
          tags: ['Events'],
          operationId: 'getMediaLibraryEntryEvents',
          summary: 'The project’s entry events, as a feed (medialib extension)',
          description:
            'The events the webhooks get (`mediaLibraryEntry.create`, `.update` with `changes`, `.archive`, ' +
            '`.revoke`, `.active`, `.invalid`, `.delete`), oldest first, after the cursor `after`. Events are ' +
            'kept while some webhook of the project (a feed-only one too: `medialib webhooks create` without ' +
            '`--url`) subscribes to them, for `eventRetentionDays` (default 7). A page never skips an event that ' +
            'commits later: cursors follow commit order.',
          security: bearerSecurity('public-api:read'),
          params: ApiVersionParams,
          querystring: EventsQuery,
          response: { 200: EventPage },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const after = request.query.after ?? '0'
        const events = await eventFeed.list(project, Number(after), request.query.limit ?? 100)
        const results = events.map((e) => ({
          cursor: String(e.seq),
          event: e.event,
          projectId: e.project,
          projectHandle: e.project,
          mediaId: e.mediaId,
          actor: e.actor,
          ...(e.changes ? { changes: e.changes } : {}),
          createdAt: e.createdAt,
        }))
        return { results, cursor: results.at(-1)?.cursor ?? after }
      },
    )
  }
}
