import type { FastifyPluginAsync } from 'fastify'
import type { AssetKeyRepository } from '../../db/asset-key.repository.js'
import { NotFoundError } from '../../errors.js'
import type { LibraryService } from '../../media/library.service.js'
import type { ProjectService } from '../../projects/project.service.js'
import type { TokenService } from '../../projects/token.service.js'
import type { ByteRange } from '../../storage/blob-store.js'
import { keyProblem } from '../../storage/key.js'
import type { ProjectStorage } from '../../storage/project-storage.js'
import { principalOf, requireScope } from '../auth.js'
import { isWithheld, sendPassive, withheldError } from '../passive-file.js'
import { bearerSecurity, binaryResponse, emptyResponse, errorResponses } from '../schemas/common.js'
import { ServeImageParams } from '../schemas/media-library.schemas.js'
import { ServeImageQuery, VARIANT_HEADERS } from '../schemas/image.schemas.js'
import type { VariantService } from '../../media/variant.service.js'
import { sendVariant } from '../variant-reply.js'
import { checkApiVersion } from './context.js'

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
  projects: ProjectService
  library: LibraryService
  blobs: ProjectStorage
  assetKeys: AssetKeyRepository
  /** Variants (imgix parameters); without them every query parameter is refused. */
  variants?: { service: VariantService; maxAgeSeconds: number }
}): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/api/:apiVersion/mediaLibrary/serve-image/*',
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
          ...(deps.variants ? { querystring: ServeImageQuery } : {}),
          response: {
            200: binaryResponse(
              'The original (with accept-ranges), or a variant (an image type; Vary: Accept with auto=format)',
              STORED_TYPE,
              // What both answers carry (cache-control too; accept-ranges only the original's).
              deps.variants
                ? {
                    etag: VARIANT_HEADERS.etag,
                    'last-modified': ORIGINAL_HEADERS['last-modified']!,
                    'content-length': ORIGINAL_HEADERS['content-length']!,
                  }
                : ORIGINAL_HEADERS,
            ),
            206: binaryResponse('A single byte range of the original', STORED_TYPE, {
              ...ORIGINAL_HEADERS,
              'content-range': 'bytes <start>-<end>/<size>',
            }),
            304: emptyResponse('Not Modified: If-None-Match matched', { etag: 'The ETag' }),
            416: emptyResponse('Range Not Satisfiable', { 'content-range': 'bytes */<size>' }),
            ...errorResponses(403, ...(deps.variants ? [422] : [])),
          },
        },
      },
      async (request, reply) => {
        const { project } = principalOf(request)
        const key = (request.params as { '*': string })['*']
        // No entry can hold a key outside the grammar.
        if (keyProblem(key) !== undefined) throw notFound()
        if (deps.variants && Object.keys(request.query as object).length > 0) {
          const answer = await deps.variants.service.byKey({
            project,
            key,
            query: request.query as Record<string, unknown>,
            url: request.url,
            accept: request.headers.accept,
          })
          if (answer) return sendVariant(request, reply, answer, deps.variants.maxAgeSeconds)
        }
        const id = await deps.assetKeys.entryIdOfKey(project, key)
        if (!id) throw notFound()
        const entry = await deps.library.getOrFail(project, id)
        const mediaType = (await deps.projects.mediaTypesOf(project)).get(entry.mediaType)
        if (isWithheld(entry, mediaType)) throw withheldError()
        // Only the caller's project namespace: another project's blob under the same key is not reachable.
        const blobs = deps.blobs.files(project)
        const stat = await blobs.stat(key)
        if (!stat) throw notFound()
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
        const body = await blobs.get(key, range)
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
