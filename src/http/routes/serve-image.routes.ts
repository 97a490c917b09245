import { NotFoundError } from '../../errors.js'
import type { FileService } from '../../media/file.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { SERVE_IMAGE_ROUTE } from '../../storage/asset-url.js'
import type { ByteRange } from '../../storage/blob-store.js'
import { principalOf, requireScope } from '../auth.js'
import { sendPassive } from '../passive-file.js'
import { bearerSecurity, binaryResponse, emptyResponse, errorResponses } from '../schemas/common.js'
import { ServeImageParams } from '../schemas/entry.schemas.js'
import { ServeImageQuery, VARIANT_HEADERS } from '../schemas/image.schemas.js'
import type { VariantService } from '../../media/variant.service.js'
import { sendVariant } from '../variant-reply.js'
import { checkApiVersion } from './context.js'
import type { RoutePlugin } from '../type-provider.js'

const ORIGINAL_HEADERS: Record<string, string> = {
  etag: 'Strong ETag of the stored blob',
  'last-modified': 'When the blob was stored',
  'accept-ranges': 'bytes',
  'content-length': 'Bytes in this answer',
}

/** Any stored type (canonical, lower-cased); only raster images are inline, the rest are attachments. */
const STORED_TYPE = ['*/*']

const notFound = () => new NotFoundError({ message: 'No image found.' })

/**
 * One `bytes=` range of a Range header against a size: the range, 'unsatisfiable', or undefined to serve
 * the whole blob (no header, several ranges, or a unit other than bytes).
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  let start: number
  let end: number
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) return 'unsatisfiable'
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
    if (m[2] !== '' && Number(m[2]) < start) return undefined
  }
  if (start >= size || size === 0) return 'unsatisfiable'
  return { start, end }
}

/** `GET /api/:apiVersion/mediaLibrary/serve-image/{key}`: streams a stored original (read scope). */
export function serveImageRoutes(deps: {
  tokens: TokenService
  files: FileService
  /** Variants (imgix parameters). */
  variants: { service: VariantService; maxAgeSeconds: number }
}): RoutePlugin {
  return async (app) => {
    app.get(
      SERVE_IMAGE_ROUTE,
      {
        onRequest: [checkApiVersion, requireScope(deps.tokens, 'public-api:read')],
        schema: {
          tags: ['Media Library'],
          operationId: 'mediaLibraryServeImage',
          summary:
            'Stream the original of an asset by its storage key, or a variant of it (imgix parameters)',
          description:
            'Without query parameters: the original bytes with Content-Type, ETag, Last-Modified and single-range ' +
            'support. With imgix parameters (w, h, dpr, fit, crop, fp-x, fp-y, rect, fm, auto, q, s; see ' +
            'docs/images.md): a variant, made once and cached. 403 for a revoked ' +
            'or invalid entry. Passive: only raster images (JPEG, PNG, GIF, WebP, AVIF) inline, everything else as ' +
            'an attachment, always with nosniff and a sandbox Content-Security-Policy.',
          security: bearerSecurity('public-api:read'),
          params: ServeImageParams,
          querystring: ServeImageQuery,
          response: {
            200: binaryResponse(
              'The original (with accept-ranges), or a variant (an image type; Vary: Accept with auto=format)',
              STORED_TYPE,
              // What both answers carry (cache-control too; accept-ranges only the original's).
              {
                etag: VARIANT_HEADERS.etag,
                'last-modified': ORIGINAL_HEADERS['last-modified']!,
                'content-length': ORIGINAL_HEADERS['content-length']!,
              },
            ),
            206: binaryResponse('A single byte range of the original', STORED_TYPE, {
              ...ORIGINAL_HEADERS,
              'content-range': 'bytes <start>-<end>/<size>',
            }),
            304: emptyResponse('Not Modified: If-None-Match matched', { etag: 'The ETag' }),
            416: emptyResponse('Range Not Satisfiable', { 'content-range': 'bytes */<size>' }),
            ...errorResponses(403, 422),
          },
        },
      },
      async (request, reply) => {
        const { project } = principalOf(request)
        const key = request.params['*']
        if (Object.keys(request.query).length > 0) {
          const answer = await deps.variants.service.byKey({
            project,
            key,
            query: request.query,
            url: request.url,
            accept: request.headers.accept,
          })
          if (answer) return sendVariant(request, reply, answer, deps.variants.maxAgeSeconds)
        }
        const { entry, stat, read } = await deps.files.openOriginal(project, key)
        sendPassive(reply, entry.asset.mimeType, entry.asset.filename)
          .header('etag', stat.etag)
          .header('last-modified', stat.lastModified.toUTCString())
          .header('accept-ranges', 'bytes')
          .header('cache-control', 'private, no-cache')
        const inm = request.headers['if-none-match']
        if (inm && inm.split(',').some((t) => t.trim() === stat.etag || t.trim() === '*'))
          return reply.code(304).send()
        const range = parseRange(request.headers.range, stat.size)
        if (range === 'unsatisfiable') {
          return reply.code(416).header('content-range', `bytes */${stat.size}`).send()
        }
        const body = await read(range)
        if (!body) throw notFound()
        if (range) {
          reply
            .code(206)
            .header('content-range', `bytes ${range.start}-${range.end}/${stat.size}`)
            .header('content-length', range.end - range.start + 1)
        } else {
          reply.header('content-length', stat.size)
        }
        return reply.send(body)
      },
    )
  }
}
