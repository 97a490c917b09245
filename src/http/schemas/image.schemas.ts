import { Type, type TSchema } from 'typebox'
import { binaryResponse, emptyResponse } from './common.js'

const param = (description: string) => Type.Optional(Type.String({ maxLength: 200, description }))

const VARIANT_PROPERTIES = {
  w: param('Width in pixels (1 to `variants.maxDimension`, divided by dpr)'),
  h: param('Height in pixels (1 to `variants.maxDimension`, divided by dpr)'),
  dpr: param('Device pixel ratio, 1 to 3: multiplies w and h'),
  fit: param('clip (default on serve-image) | crop (default on the entry route) | max | fill | scale'),
  'fp-x': param('Focal point x, 0 to 1 (with crop=focalpoint)'),
  'fp-y': param('Focal point y, 0 to 1 (with crop=focalpoint)'),
  rect: param('x,y,w,h: a region of the source in source pixels, cut first'),
  fm: param('jpg | png | webp | avif | gif'),
  auto: param('format: WebP or AVIF when Accept takes it (the answer then varies by Accept)'),
  q: param('Quality 1 to 100 (JPEG, WebP, AVIF; PNG with a palette)'),
  s: param('Signature: hex HMAC-SHA256 of path and query (without s) with the project’s image secret'),
}

/** serve-image's query: the imgix subset (docs/images.md); none streams the original. */
export const ServeImageQuery = Type.Object(
  { ...VARIANT_PROPERTIES, crop: param('focalpoint: crop around fp-x, fp-y (with fit=crop)') },
  { additionalProperties: false },
)

/** The entry route's query: `crop` names one of the entry's crops (li-named-crops). */
export const EntryImageQuery = Type.Object(
  {
    ...VARIANT_PROPERTIES,
    crop: param("The name of one of the entry's named crops (li-named-crops)"),
    v: param('The entry version the URL was made for: a cache-buster for browsers, otherwise ignored'),
  },
  { additionalProperties: false },
)

export const VARIANT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/gif']

export const VARIANT_HEADERS = {
  etag: 'Strong ETag of the variant',
  'last-modified': 'When the original was stored',
  'cache-control': 'private, max-age=<variants.maxAgeSeconds>',
  'content-length': 'Bytes in this answer',
}

export function variantResponses(): Record<number, TSchema> {
  return {
    200: binaryResponse('The variant (with `Vary: Accept` when auto=format)', VARIANT_TYPES, VARIANT_HEADERS),
    304: emptyResponse('Not Modified: If-None-Match matched', { etag: 'The ETag' }),
  }
}
