import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import type { VariantService } from '../../media/variant.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { presentedToken, principalOf, requireScope } from '../auth.js'
import { bearerSecurity, errorResponses } from '../schemas/common.js'
import { EntryImageQuery, variantResponses } from '../schemas/image.schemas.js'
import { EntryIdParams } from '../schemas/entry.schemas.js'
import { sendVariant } from '../variant-reply.js'
import { checkApiVersion } from './context.js'

/** `GET /api/:apiVersion/mediaLibrary/{id}/image`: a variant with the entry's named crop and focal point. */
export function imageRoutes(deps: {
  tokens: TokenService
  variants: VariantService
  maxAgeSeconds: number
}): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>()
    app.get(
      '/api/:apiVersion/mediaLibrary/:id/image',
      {
        onRequest: [checkApiVersion, requireScope(deps.tokens, 'public-api:read')],
        schema: {
          tags: ['Media Library'],
          operationId: 'getMediaLibraryEntryImage',
          summary: 'A variant of an image entry with its named crop and focal point (extension)',
          description:
            "`crop=<name>` cuts the entry's named crop (li-named-crops) first; `fit` defaults to `crop`, which " +
            "cuts around the entry's focal point. The imgix parameters of serve-image apply otherwise " +
            '(docs/images.md). The cache key includes the entry version: a changed crop gives a new variant. ' +
            '403 for a revoked or invalid entry, except to the UI session cookie.',
          security: bearerSecurity('public-api:read'),
          params: EntryIdParams,
          querystring: EntryImageQuery,
          response: { ...variantResponses(), ...errorResponses(403, 422) },
        },
      },
      async (request, reply) => {
        const { project } = principalOf(request)
        const answer = await deps.variants.byEntry({
          project,
          id: request.params.id,
          query: request.query,
          url: request.url,
          accept: request.headers.accept,
          serveWithheld: presentedToken(request).via !== 'header',
        })
        return sendVariant(request, reply, answer, deps.maxAgeSeconds)
      },
    )
  }
}
