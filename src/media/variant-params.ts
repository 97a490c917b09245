import { createHmac, timingSafeEqual } from 'node:crypto'
import { BadRequestError } from '../errors.js'

/**
 * The imgix parameter subset of image variants (docs/images.md), parsed and normalised. Pure: no I/O.
 * The normalised form is the cache key of a variant (with the original's content and the entry version).
 */

export const VARIANT_FORMATS = ['jpg', 'png', 'webp', 'avif', 'gif'] as const
export type VariantFormat = (typeof VARIANT_FORMATS)[number]
export const VARIANT_FITS = ['clip', 'crop', 'max', 'fill', 'scale'] as const
export type VariantFit = (typeof VARIANT_FITS)[number]

/** Every query parameter a variant takes (`s` is the signature). */
export const VARIANT_PARAMS = ['w', 'h', 'dpr', 'fit', 'crop', 'fp-x', 'fp-y', 'rect', 'fm', 'auto', 'q', 's']

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** What a variant is, once parsed: sizes with the device pixel ratio already applied. */
export interface VariantParams {
  /** Output bounds in pixels (dpr applied); undefined: from the source (or the other bound). */
  width?: number
  height?: number
  fit: VariantFit
  /** Crop around this point (0–1 of the source, or of `rect` when given), for `fit=crop`. */
  focal?: { x: number; y: number }
  /** A region of the source in source pixels, cut before anything else. */
  rect?: Rect
  /** The requested format; with `auto=format` the format comes from `Accept` first. */
  format?: VariantFormat
  autoFormat: boolean
  quality?: number
}

export interface VariantLimits {
  /** Largest output width or height in pixels (after dpr). */
  maxDimension: number
}

const bad = (param: string, message: string) =>
  new BadRequestError({ message: `Invalid image parameter '${param}': ${message}`, [param]: message })

const INTEGER = /^\d{1,9}$/
const DECIMAL = /^\d{1,9}(\.\d{1,9})?$|^\.\d{1,9}$/

function one(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw bad(name, 'is given more than once')
  return value
}

function integer(query: Record<string, unknown>, name: string, min: number, max: number) {
  const raw = one(query, name)
  if (raw === undefined) return undefined
  const n = INTEGER.test(raw) ? Number(raw) : NaN
  if (!(n >= min && n <= max)) throw bad(name, `must be a whole number from ${min} to ${max}`)
  return n
}

function decimal(query: Record<string, unknown>, name: string, min: number, max: number) {
  const raw = one(query, name)
  if (raw === undefined) return undefined
  const n = DECIMAL.test(raw) ? Number(raw) : NaN
  if (!(n >= min && n <= max)) throw bad(name, `must be a number from ${min} to ${max}`)
  return n
}

function oneOf<T extends string>(query: Record<string, unknown>, name: string, values: readonly T[]) {
  const raw = one(query, name)
  if (raw === undefined) return undefined
  if (!(values as readonly string[]).includes(raw)) throw bad(name, `must be one of ${values.join(', ')}`)
  return raw as T
}

function parseRect(raw: string | undefined): Rect | undefined {
  if (raw === undefined) return undefined
  const parts = raw.split(',')
  const nums = parts.map((p) => (INTEGER.test(p) ? Number(p) : NaN))
  if (nums.length !== 4 || nums.some((n) => !Number.isFinite(n)) || nums[2]! < 1 || nums[3]! < 1)
    throw bad('rect', 'must be x,y,w,h in whole source pixels, w and h at least 1')
  return { x: nums[0]!, y: nums[1]!, width: nums[2]!, height: nums[3]! }
}

/**
 * Parses the variant parameters of a query (already checked for unknown names). Throws a 400 naming the
 * parameter when one is malformed or out of range. `undefined` when the query asks for no variant.
 */
export function parseVariantParams(
  query: Record<string, unknown>,
  limits: VariantLimits,
): VariantParams | undefined {
  const names = Object.keys(query).filter((k) => k !== 's')
  if (names.length === 0) return undefined
  const max = limits.maxDimension
  const w = integer(query, 'w', 1, max)
  const h = integer(query, 'h', 1, max)
  const dpr = decimal(query, 'dpr', 1, 3) ?? 1
  const fit = oneOf(query, 'fit', VARIANT_FITS) ?? 'clip'
  const crop = oneOf(query, 'crop', ['focalpoint'] as const)
  const fpX = decimal(query, 'fp-x', 0, 1)
  const fpY = decimal(query, 'fp-y', 0, 1)
  const rect = parseRect(one(query, 'rect'))
  const format = oneOf(query, 'fm', VARIANT_FORMATS)
  const auto = oneOf(query, 'auto', ['format'] as const)
  const quality = integer(query, 'q', 1, 100)
  if ((fpX !== undefined || fpY !== undefined) && crop !== 'focalpoint')
    throw bad(fpX !== undefined ? 'fp-x' : 'fp-y', 'needs crop=focalpoint')
  if (crop === 'focalpoint' && fit !== 'crop') throw bad('crop', 'focalpoint needs fit=crop')
  const scaled = (n: number | undefined, name: string) => {
    if (n === undefined) return undefined
    const out = Math.round(n * dpr)
    if (out > max) throw bad(name, `times dpr is ${out} pixels, more than the limit of ${max}`)
    return out
  }
  const params: VariantParams = { fit, autoFormat: auto === 'format' }
  const width = scaled(w, 'w')
  const height = scaled(h, 'h')
  if (width !== undefined) params.width = width
  if (height !== undefined) params.height = height
  if (crop === 'focalpoint') params.focal = { x: fpX ?? 0.5, y: fpY ?? 0.5 }
  if (rect) params.rect = rect
  if (format) params.format = format
  if (quality !== undefined) params.quality = quality
  return params
}

/**
 * The canonical text of a variant once its output format is chosen: equal for every query that makes the
 * same bytes (`w=100&dpr=2` and `w=200`, any parameter order), different otherwise.
 */
export function canonicalVariant(params: VariantParams, format: VariantFormat): string {
  const parts = [`fit=${params.fit}`, `fm=${format}`]
  if (params.width !== undefined) parts.push(`w=${params.width}`)
  if (params.height !== undefined) parts.push(`h=${params.height}`)
  if (params.focal) parts.push(`fp=${params.focal.x},${params.focal.y}`)
  if (params.rect) {
    const r = params.rect
    parts.push(`rect=${r.x},${r.y},${r.width},${r.height}`)
  }
  if (params.quality !== undefined) parts.push(`q=${params.quality}`)
  return parts.sort().join('&')
}

/** The server's allow-list: variants inside it need no signature. */
export interface VariantAllowList {
  /** Output widths and heights (dpr applied) allowed without a signature. */
  sizes: readonly number[]
  formats: readonly VariantFormat[]
}

/** The first parameter outside the allow-list, or undefined when the variant is inside it. */
export function outsideAllowList(params: VariantParams, allow: VariantAllowList): string | undefined {
  if (params.width !== undefined && !allow.sizes.includes(params.width)) return 'w'
  if (params.height !== undefined && !allow.sizes.includes(params.height)) return 'h'
  if (params.format !== undefined && !allow.formats.includes(params.format)) return 'fm'
  return undefined
}

/**
 * What a signature covers: the path and the query as sent, without the `s` parameter (which must come
 * last, as in imgix secure URLs): `/api/v1/mediaLibrary/serve-image/a.jpg?w=300&fm=webp`.
 */
export function signedPayload(url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const kept = url
    .slice(q + 1)
    .split('&')
    .filter((part) => part !== '' && !part.startsWith('s='))
  return kept.length === 0 ? url.slice(0, q) : `${url.slice(0, q)}?${kept.join('&')}`
}

/** `s=`: the hex HMAC-SHA256 of the signed payload with the project's image signing secret. */
export function signVariantUrl(secret: string, url: string): string {
  return createHmac('sha256', secret).update(signedPayload(url)).digest('hex')
}

/** Whether `s` is the signature of the URL (constant-time). */
export function verifyVariantSignature(secret: string, url: string, s: string): boolean {
  const expected = Buffer.from(signVariantUrl(secret, url), 'hex')
  const given = /^[0-9a-f]{64}$/i.test(s) ? Buffer.from(s, 'hex') : Buffer.alloc(0)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
