import contentDisposition from 'content-disposition'
import type { FastifyReply } from 'fastify'
import { AppError } from '../errors.js'
import { servedMimeType } from '../media/mime-type.js'

/** The types a browser renders as a picture and nothing else: the only ones served inline. */
export const INLINE_TYPES: ReadonlySet<string> = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
])

/**
 * No script, no plugin, no form, no network access, a unique opaque origin (`sandbox`); a raster image
 * document needs nothing else (`img-src`/`style-src` for the browser's own image viewer page).
 */
export const PASSIVE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"

/**
 * Makes a reply that carries stored bytes (serve-image, thumbnails) passive: whatever the stored type, the
 * browser neither sniffs it nor runs it in this origin. Raster images (INLINE_TYPES) are inline; every
 * other type, SVG and HTML included, is an attachment. The Content-Type is the canonical `type/subtype`
 * of the stored value (casing and parameters dropped; unusable values become application/octet-stream),
 * so no stored value reaches a header as it is.
 */
export function sendPassive(reply: FastifyReply, storedType: string, filename?: string): FastifyReply {
  const type = servedMimeType(storedType)
  const disposition = INLINE_TYPES.has(type) ? 'inline' : 'attachment'
  return reply
    .header('content-type', type)
    .header('content-disposition', contentDisposition(filename || undefined, { type: disposition }))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', PASSIVE_CSP)
    .header('cross-origin-resource-policy', 'same-site')
}

export { isWithheld } from '../media/entry-state.js'

/** The 403 for a revoked or invalid entry: neither its original nor anything made from it is served. */
export function withheldError(): AppError {
  return new AppError(403, 'Forbidden', { message: 'The requested image is revoked or marked as invalid' })
}
