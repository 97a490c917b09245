import type Sharp from 'sharp'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { AppError, notFound } from '../errors.js'
import type { ProjectStorage } from '../storage/project-storage.js'
import type { MediaEntry } from './entry.js'
import { createImagePool, type ImagePool } from './image-pool.js'
import type { FrameExtractor } from './video-poster.js'

/** The widths a thumbnail can have: a fixed set, so the number of cached variants per original is bounded. */
export const THUMBNAIL_WIDTHS = [160, 320, 640, 1280] as const
export type ThumbnailWidth = (typeof THUMBNAIL_WIDTHS)[number]

export type ThumbnailFormat = 'webp' | 'avif' | 'jpeg'

const CONTENT_TYPES: Record<ThumbnailFormat, string> = {
  webp: 'image/webp',
  avif: 'image/avif',
  jpeg: 'image/jpeg',
}

/**
 * What the thumbnail service needs of storage: read an original from the project's keys, read and write a
 * variant in the project's derived namespace (which no client key can name).
 */
export type ThumbnailBlobs = Pick<ProjectStorage, 'files' | 'derived'>

export interface Thumbnail {
  body: Buffer
  contentType: string
  /** Strong ETag: the variant key names the original's immutable key, the width and the format. */
  etag: string
  /** The key the variant is cached under in the project's derived namespace (`t/…`). */
  key: string
}

export interface ThumbnailService {
  /**
   * A thumbnail of the entry's main asset, at most `width` wide (never enlarged), in the best format
   * the `Accept` header allows. Made on first request from the project's stored original and cached in
   * the project's derived namespace; later requests read the cache. Throws NotFoundError (not an image,
   * original not stored) or a 422 AppError (the original cannot be decoded).
   */
  get(
    project: string,
    entry: MediaEntry,
    width: ThumbnailWidth,
    accept: string | undefined,
  ): Promise<Thumbnail>
}

/**
 * WebP whenever the client takes it: AVIF is smaller but costs several times the CPU to encode, which
 * matters when thumbnails are made on demand. AVIF only for a client that takes AVIF and not WebP;
 * JPEG otherwise.
 */
export function negotiateFormat(accept: string | undefined): ThumbnailFormat {
  const types = (accept ?? '')
    .split(',')
    .map((part) => part.split(';'))
    .filter(([, ...params]) => !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p)))
    .map(([type]) => (type ?? '').trim().toLowerCase())
  if (types.includes('image/webp')) return 'webp'
  if (types.includes('image/avif')) return 'avif'
  return 'jpeg'
}

/**
 * `t/<SHA-256 of the original key>/w<width>.<format>` in the derived namespace: one key per original, width
 * and format. Hashing the original key keeps every variant key short and in the grammar, and a key `a` and
 * a key `a/b` never need a file and a folder of one name.
 */
export function variantKey(originalKey: string, width: number, format: ThumbnailFormat): string {
  return `${variantPrefix(originalKey)}w${width}.${format === 'jpeg' ? 'jpg' : format}`
}

/** The prefix of every variant of an original in the derived namespace (`t/<SHA-256>/`). */
export function variantPrefix(originalKey: string): string {
  return `t/${createHash('sha256').update(originalKey).digest('base64url')}/`
}

/** A strong ETag for a variant: its key names the original's immutable key, the width and the format. */
export function variantEtag(key: string): string {
  return `"${createHash('sha256').update(key).digest('base64url').slice(0, 27)}"`
}

/** sharp and libvips (about 26 MB of memory) load on the first thumbnail, not with every server. */
let sharpModule: Promise<{ default: typeof Sharp }> | undefined
const loadSharp = async () => (await (sharpModule ??= import('sharp'))).default

async function encode(
  original: Readable,
  width: number,
  format: ThumbnailFormat,
  timeoutSeconds: number,
): Promise<Buffer> {
  const sharp = await loadSharp()
  // Decoding is bounded (limitInputPixels) so a hostile original cannot take all memory, and in time
  // (sharp's timeout) so a pathological one (an SVG of filters) cannot take a CPU for long.
  const pipeline = sharp({ limitInputPixels: 100_000_000, failOn: 'error' })
    .timeout({ seconds: timeoutSeconds })
    .rotate()
    .resize({ width, height: width, fit: 'inside', withoutEnlargement: true })
  const encoder =
    format === 'webp'
      ? pipeline.webp({ quality: 75, effort: 2 })
      : format === 'avif'
        ? pipeline.avif({ quality: 50, effort: 2 })
        : pipeline.jpeg({ quality: 78, progressive: true })
  original.on('error', (err) => encoder.destroy(err))
  original.pipe(encoder)
  try {
    return await encoder.toBuffer()
  } catch (err) {
    original.destroy()
    const message = (err as Error).message
    throw new AppError(422, 'Unprocessable Entity', {
      message: /\btimeout: \d+% complete/.test(message)
        ? `The stored original took longer than ${timeoutSeconds} s to render: it has no thumbnail`
        : `The stored original cannot be decoded as an image: ${message}`,
    })
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  return Buffer.concat(chunks)
}

export function createThumbnailService(deps: {
  blobs: ThumbnailBlobs
  /** Thumbnails encoded at once (sharp itself uses more threads per image). Default 2. */
  concurrency?: number
  /** Where encodings run (a per-project share of `concurrency` slots); made from `concurrency` by default. */
  pool?: ImagePool
  /** Time limit of one decoding and encoding (sharp's `timeout`), in whole seconds. Default 10. */
  timeoutSeconds?: number
  /**
   * The original of an entry that is not in storage (external previews of `asset.url`, docs/images.md);
   * fetched before a pool slot is taken. Without it such an entry has no thumbnail.
   */
  externalOriginal?: (project: string, entry: MediaEntry) => Promise<Buffer>
  /** Poster frames of videos (ffmpeg); without it, or when ffmpeg is missing, a video has no thumbnail. */
  frames?: FrameExtractor
}): ThumbnailService {
  const { blobs } = deps
  const size = deps.concurrency ?? 2
  const pool = deps.pool ?? createImagePool({ size, perProject: Math.max(1, size - 1), releaseAfterMs: 500 })
  const timeoutSeconds = deps.timeoutSeconds ?? 10
  // Concurrent requests for one missing variant share one encoding.
  const inFlight = new Map<string, Promise<Buffer>>()

  const isVideo = (entry: MediaEntry) => entry.asset.mimeType.toLowerCase().startsWith('video/')
  /** A video's poster frame (PNG), made once and kept in the derived namespace next to its thumbnails. */
  const posterOf = async (project: string, entry: MediaEntry, original: Readable): Promise<Buffer> => {
    const key = `${variantPrefix(entry.asset.key)}poster.png`
    const cached = await blobs.derived(project).get(key)
    if (cached) {
      original.destroy()
      return readAll(cached)
    }
    let poster: Buffer
    try {
      poster = await deps.frames!.extract(entry.asset.mimeType, original)
    } catch (err) {
      original.destroy()
      throw new AppError(422, 'Unprocessable Entity', {
        message: `No poster frame could be extracted from the video: ${(err as Error).message}`,
      })
    }
    await blobs.derived(project).put(key, Readable.from([poster]), { contentType: 'image/png' })
    return poster
  }

  const make = async (
    project: string,
    entry: MediaEntry,
    key: string,
    width: number,
    format: ThumbnailFormat,
  ) => {
    const originalKey = entry.asset.key
    const external =
      deps.externalOriginal && !(await blobs.files(project).stat(originalKey))
        ? await deps.externalOriginal(project, entry)
        : undefined
    return pool.run(project, async () => {
      const original = external ? Readable.from([external]) : await blobs.files(project).get(originalKey)
      if (!original) {
        throw notFound(`The original '${originalKey}' is not in the blob store`)
      }
      const source = isVideo(entry) ? Readable.from([await posterOf(project, entry, original)]) : original
      const body = await encode(source, width, format, timeoutSeconds)
      await blobs.derived(project).put(key, Readable.from([body]), { contentType: CONTENT_TYPES[format] })
      return body
    })
  }

  return {
    async get(project, entry, width, accept) {
      if (isVideo(entry)) {
        if (!deps.frames?.supports(entry.asset.mimeType) || !(await deps.frames.available()))
          throw notFound(
            `Entry '${entry.id}' is a video (${entry.asset.mimeType}) and no frame extractor is available for it: it has no thumbnail`,
          )
      } else if (!entry.asset.mimeType.startsWith('image/')) {
        throw notFound(`Entry '${entry.id}' is not an image (${entry.asset.mimeType}): it has no thumbnail`)
      }
      const format = negotiateFormat(accept)
      const key = variantKey(entry.asset.key, width, format)
      const etag = variantEtag(key)
      const cached = await blobs.derived(project).get(key)
      let body: Buffer
      if (cached) {
        body = await readAll(cached)
      } else {
        const slot = `${project}/${key}`
        let pending = inFlight.get(slot)
        if (!pending) {
          pending = make(project, entry, key, width, format).finally(() => inFlight.delete(slot))
          inFlight.set(slot, pending)
        }
        body = await pending
      }
      return { body, contentType: CONTENT_TYPES[format], etag, key }
    },
  }
}
