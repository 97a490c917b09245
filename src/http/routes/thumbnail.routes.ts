import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import type { FileService } from '../../media/file.service.js'
import {
  negotiateFormat,
  THUMBNAIL_WIDTHS,
  variantEtag,
  variantKey,
  type ThumbnailService,
} from '../../media/thumbnail.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { presentedToken, principalOf, requireScope } from '../auth.js'
import { sendPassive } from '../passive-file.js'
import { bearerSecurity, binaryResponse, emptyResponse, errorResponses } from '../schemas/common.js'
import { EntryIdParams } from '../schemas/entry.schemas.js'
import { checkApiVersion } from './context.js'
import type { RoutePlugin } from '../type-provider.js'

export interface ThumbnailRoutesDeps {
  tokens: TokenService
  files: FileService
  thumbnails: ThumbnailService
}

const ThumbnailQuery = Type.Object(
  {
    w: Type.Optional(
      Type.Union(
        THUMBNAIL_WIDTHS.map((w) => Type.Literal(w)),
        { description: `Width in pixels: ${THUMBNAIL_WIDTHS.join(', ')}; default 320` },
      ),
    ),
    key: Type.Optional(
      Type.String({
        maxLength: 1024,
        description:
          "The entry's current asset key. When it matches, the answer is cached as immutable (the variant " +
          'of one original never changes); without it the client revalidates with the ETag.',
      }),
    ),
  },
  { additionalProperties: false },
)

const YEAR_SECONDS = 365 * 24 * 60 * 60

/** `GET /api/:apiVersion/mediaLibrary/{id}/thumbnail?w=320` (extension; read scope). */
export function thumbnailRoutes(deps: ThumbnailRoutesDeps): RoutePlugin {
  const { tokens, files, thumbnails } = deps
  return async (app) => {
    app.get(
      '/api/:apiVersion/mediaLibrary/:id/thumbnail',
      {
        onRequest: [checkApiVersion, requireScope(tokens, 'public-api:read')],
        schema: {
          tags: ['Media Library'],
          operationId: 'getMediaLibraryEntryThumbnail',
          summary: 'A thumbnail of an image entry, made on demand (extension)',
          description:
            'Resized from the stored original on first request (never enlarged), WebP when the `Accept` ' +
            "header allows it, else AVIF when allowed, else JPEG; cached in the project's derived namespace. " +
            'Answers carry a strong ETag and `Vary: Accept`; `If-None-Match` gives 304. 403 for a revoked or ' +
            'invalid entry, except to the UI session cookie (docs/ui.md).',
          security: bearerSecurity('public-api:read'),
          params: EntryIdParams,
          querystring: ThumbnailQuery,
          response: {
            200: binaryResponse('The thumbnail', ['image/webp', 'image/avif', 'image/jpeg'], {
              etag: 'Strong ETag of the variant',
              vary: 'Accept',
              'cache-control': 'immutable when `key` matches the current asset, else no-cache',
            }),
            304: emptyResponse('Not Modified: If-None-Match matched', { etag: 'The ETag' }),
            ...errorResponses(422),
          },
        },
      },
      async (request, reply) => {
        const { project } = principalOf(request)
        const { id } = request.params
        const { query } = request
        const width = query.w ?? 320
        // API tokens get nothing of a revoked or invalid entry; the UI (cookie session) still shows editors
        // what they revoked.
        const entry = await files.entryForDerived(project, id, {
          showWithheld: presentedToken(request).via !== 'header',
        })
        const accept = request.headers.accept
        const etag = variantEtag(variantKey(entry.asset.key, width, negotiateFormat(accept)))
        reply
          .header('vary', 'Accept')
          .header('etag', etag)
          .header(
            'cache-control',
            query.key === entry.asset.key
              ? `private, max-age=${YEAR_SECONDS}, immutable`
              : 'private, no-cache',
          )
        const ifNoneMatch = request.headers['if-none-match']
        if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
          return (reply as FastifyReply).status(304).send()
        }
        const thumbnail = await thumbnails.get(project, entry, width, accept)
        return sendPassive(reply, thumbnail.contentType).send(thumbnail.body)
      },
    )
  }
}
