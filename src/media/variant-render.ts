import type Sharp from 'sharp'
import type { Sharp as Pipeline } from 'sharp'
import { AppError, BadRequestError } from '../errors.js'
import { negotiateFormat } from './thumbnail.service.js'
import type { VariantFormat, VariantParams } from './variant-params.js'

export const VARIANT_CONTENT_TYPES: Record<VariantFormat, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
}

/** The format a variant of a source of this stored type has by default: its own, or PNG (SVG, TIFF, …). */
export function defaultFormatOf(mimeType: string): VariantFormat {
  const type = mimeType.split(';')[0]!.trim().toLowerCase()
  for (const [format, contentType] of Object.entries(VARIANT_CONTENT_TYPES))
    if (contentType === type) return format as VariantFormat
  return 'png'
}

/**
 * The output format: with `auto=format` WebP when `Accept` takes it, else AVIF when it takes that (WebP
 * first: AVIF costs several times the CPU to encode on demand); otherwise `fm`, else the source's format.
 */
export function chooseFormat(
  params: VariantParams,
  accept: string | undefined,
  mimeType: string,
): VariantFormat {
  if (params.autoFormat) {
    const negotiated = negotiateFormat(accept)
    if (negotiated !== 'jpeg') return negotiated
  }
  return params.format ?? defaultFormatOf(mimeType)
}

/**
 * sharp and libvips load on the first variant, not with every server. libvips' operation cache is off:
 * variants are cached as files, and the cache would only hold decoded originals in memory.
 */
let sharpModule: Promise<typeof Sharp> | undefined
export const loadSharp = async () =>
  (sharpModule ??= import('sharp').then(({ default: sharp }) => {
    sharp.cache(false)
    return sharp
  }))

export interface RenderOptions {
  timeoutSeconds: number
  /** sharp's limitInputPixels: a larger source is refused before it is decoded. */
  maxInputPixels: number
}

export interface Rendered {
  body: Buffer
  width: number
  height: number
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n))

function encode(img: Pipeline, format: VariantFormat, quality: number | undefined): Pipeline {
  switch (format) {
    case 'jpg':
      return img.flatten({ background: '#ffffff' }).jpeg({ quality: quality ?? 80, progressive: true })
    case 'png':
      return img.png({ compressionLevel: 6, ...(quality !== undefined ? { quality, palette: true } : {}) })
    case 'webp':
      return img.webp({ quality: quality ?? 80, effort: 2 })
    case 'avif':
      return img.avif({ quality: quality ?? 50, effort: 2 })
    case 'gif':
      return img.gif()
  }
}

/**
 * Renders a variant of a source image: `rect` first (in source pixels, after EXIF orientation), then the
 * resize of `fit`, then the format. Throws a 400 naming `rect` when it reaches outside the source, and a
 * 422 when the source cannot be decoded or takes longer than the time limit.
 */
export async function renderVariant(
  /** The original's bytes, or the path of a local file holding them. */
  source: Buffer | string,
  params: VariantParams,
  format: VariantFormat,
  options: RenderOptions,
): Promise<Rendered> {
  const sharp = await loadSharp()
  const open = () =>
    sharp(source, { limitInputPixels: options.maxInputPixels, failOn: 'error' }).timeout({
      seconds: options.timeoutSeconds,
    })
  try {
    const { width, height, fit } = params
    const focal = fit === 'crop' && width !== undefined && height !== undefined ? params.focal : undefined
    const rect = params.rect
    // The source's size only where the geometry needs it (a header read, but a second decoder setup).
    const meta = rect || focal ? await open().metadata() : undefined
    let srcW = meta ? (meta.autoOrient?.width ?? meta.width) : 0
    let srcH = meta ? (meta.autoOrient?.height ?? meta.height) : 0
    let img = open().rotate()
    if (rect) {
      if (rect.x + rect.width > srcW || rect.y + rect.height > srcH)
        throw new BadRequestError({
          message: `Invalid image parameter 'rect': reaches outside the source of ${srcW}×${srcH} pixels`,
          rect: `must lie inside the source (${srcW}×${srcH})`,
        })
      img = img.extract({ left: rect.x, top: rect.y, width: rect.width, height: rect.height })
      srcW = rect.width
      srcH = rect.height
    }
    if (width !== undefined || height !== undefined) {
      if (focal && width !== undefined && height !== undefined) {
        // Cover the box, then cut it out around the focal point (kept inside the image).
        const scale = Math.max(width / srcW, height / srcH)
        const rw = Math.max(width, Math.round(srcW * scale))
        const rh = Math.max(height, Math.round(srcH * scale))
        const left = clamp(Math.round(focal.x * rw - width / 2), 0, rw - width)
        const top = clamp(Math.round(focal.y * rh - height / 2), 0, rh - height)
        img = img.resize({ width: rw, height: rh, fit: 'fill' }).extract({ left, top, width, height })
      } else {
        const sharpFit = {
          clip: 'inside',
          max: 'inside',
          crop: 'cover',
          scale: 'fill',
          fill: 'contain',
        } as const
        img = img.resize({
          ...(width !== undefined ? { width } : {}),
          ...(height !== undefined ? { height } : {}),
          fit: sharpFit[fit],
          withoutEnlargement: fit === 'max',
          background: { r: 255, g: 255, b: 255, alpha: format === 'jpg' ? 1 : 0 },
        })
      }
    }
    const out = await encode(img, format, params.quality).toBuffer({ resolveWithObject: true })
    return { body: out.data, width: out.info.width, height: out.info.height }
  } catch (err) {
    if (err instanceof AppError) throw err
    const message = (err as Error).message
    throw new AppError(422, 'Unprocessable Entity', {
      message: /\btimeout: \d+% complete/.test(message)
        ? `The original took longer than ${options.timeoutSeconds} s to render: it has no variant`
        : `The original cannot be decoded as an image: ${message}`,
    })
  }
}
