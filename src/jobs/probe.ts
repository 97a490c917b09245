import { open } from 'node:fs/promises'
import { imageSize } from 'image-size'
import { imageSizeFromFile } from 'image-size/fromFile'
import type { MediaKind } from '../media/entry.js'
import { probeMp4, probeMp4Bytes, type VideoInfo } from './mp4-probe.js'

/** What the bytes of a downloaded file say about it. Never taken from the URL or the headers. */
export interface Probe {
  mimeType: string
  /** File extension for the storage key, from the sniffed type. */
  extension: string
  width?: number
  height?: number
  /** Seconds (videos). */
  duration?: number
}

/** A file that cannot become an entry of the asked kind; the message is the item's `reason`. */
export class ProbeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProbeError'
  }
}

const SVG_HEAD_BYTES = 64 * 1024

/** Whether text starts, after prolog, comments and doctype, with an `<svg` root. */
export function isSvgText(head: Buffer): boolean {
  const text = head.toString('utf8').replace(/^\uFEFF/, '')
  const rest = text.replace(
    /^\s*(<\?xml[^>]*\?>\s*)?((<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(\[[\s\S]*?\])?\s*>)\s*)*/i,
    '',
  )
  return /^<svg[\s>]/i.test(rest)
}

/** SVG is text, which file-type does not sniff: look for an `<svg` root after prolog, comments, doctype. */
async function sniffSvg(path: string): Promise<boolean> {
  const file = await open(path, 'r')
  try {
    const buf = Buffer.alloc(SVG_HEAD_BYTES)
    const { bytesRead } = await file.read(buf, 0, SVG_HEAD_BYTES, 0)
    return isSvgText(buf.subarray(0, bytesRead))
  } finally {
    await file.close()
  }
}

/** The sniffed type of the first bytes of a file (as they arrive), or undefined when nothing known matches. */
export async function sniffHead(head: Buffer): Promise<{ mime: string; ext: string } | undefined> {
  const { fileTypeFromBuffer } = await import('file-type')
  const type = await fileTypeFromBuffer(head)
  if (type && type.mime !== 'application/xml') return { mime: type.mime, ext: type.ext }
  if (isSvgText(head.subarray(0, SVG_HEAD_BYTES))) return { mime: 'image/svg+xml', ext: 'svg' }
  return type ? { mime: type.mime, ext: type.ext } : undefined
}

/** The sniffed type of the file, or undefined when nothing known matches. */
export async function sniffType(path: string): Promise<{ mime: string; ext: string } | undefined> {
  const { fileTypeFromFile } = await import('file-type')
  const type = await fileTypeFromFile(path)
  if (type && type.mime !== 'application/xml') return { mime: type.mime, ext: type.ext }
  // file-type names any `<?xml` document application/xml; an SVG is one with an `<svg` root.
  if (await sniffSvg(path)) return { mime: 'image/svg+xml', ext: 'svg' }
  return type ? { mime: type.mime, ext: type.ext } : undefined
}

/** The result of a sniff the caller made already (`sniffHead` or `sniffType`): the probe does not sniff again. */
export interface Sniffed {
  type: { mime: string; ext: string } | undefined
}

/**
 * Sniffs and measures a downloaded file for an entry of the given kind: images need an image type and
 * their dimensions, videos a video type and what the container says; files take any type.
 * Throws ProbeError with the reason when the bytes do not fit the kind.
 */
export async function probeFile(path: string, kind: MediaKind, sniffed?: Sniffed): Promise<Probe> {
  return describe(kind, sniffed ? sniffed.type : await sniffType(path), {
    dimensions: () => imageSizeFromFile(path),
    video: () => probeMp4(path),
  })
}

/**
 * `probeFile` for a file whose whole content is in `bytes` (a small file held as it was received): the
 * same sniff, dimensions and container, without a file.
 */
export async function probeBytes(bytes: Buffer, kind: MediaKind, sniffed?: Sniffed): Promise<Probe> {
  return describe(kind, sniffed ? sniffed.type : await sniffHead(bytes), {
    dimensions: async () => imageSize(bytes),
    video: () => probeMp4Bytes(bytes),
  })
}

async function describe(
  kind: MediaKind,
  type: { mime: string; ext: string } | undefined,
  read: {
    dimensions: () => Promise<{ width?: number; height?: number }>
    video: () => Promise<VideoInfo | undefined>
  },
): Promise<Probe> {
  if (kind === 'mediaFile') {
    return type
      ? { mimeType: type.mime, extension: type.ext }
      : { mimeType: 'application/octet-stream', extension: 'bin' }
  }
  if (kind === 'mediaImage') {
    if (!type || !type.mime.startsWith('image/')) {
      throw new ProbeError(`not an image: the content is ${type ? type.mime : 'of an unknown type'}`)
    }
    const size = await read.dimensions().catch(() => undefined)
    if (!size || !size.width || !size.height)
      throw new ProbeError(`unreadable image dimensions (${type.mime})`)
    return { mimeType: type.mime, extension: type.ext, width: size.width, height: size.height }
  }
  if (!type || !type.mime.startsWith('video/')) {
    throw new ProbeError(`not a video: the content is ${type ? type.mime : 'of an unknown type'}`)
  }
  const video = await read.video()
  if (!video)
    throw new ProbeError(`unreadable video container (${type.mime}): no movie header or video track`)
  return { mimeType: type.mime, extension: type.ext, ...video }
}

/** `exifExtraction.mappings` of a media type: the first non-empty field fills the metadata property. */
export interface ExifMapping {
  field: string
  metadataPropertyName: string
}

/** Reads EXIF, IPTC and XMP from an image (its file, or its bytes); `{}` when it has none or cannot be parsed. */
export async function readImageTags(file: string | Buffer): Promise<Record<string, unknown>> {
  try {
    const { default: exifr } = await import('exifr')
    const tags: unknown = await exifr.parse(file, {
      tiff: true,
      exif: true,
      iptc: true,
      xmp: true,
      mergeOutput: true,
    })
    return tags !== null && typeof tags === 'object' ? (tags as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** An XMP language alternative (`{lang, value}`, or a list of them): the `x-default` text, else the first. */
const altText = (value: unknown): string | undefined => {
  const alts = (Array.isArray(value) ? value : [value]).filter(
    (v): v is { lang?: unknown; value: string } =>
      v !== null && typeof v === 'object' && typeof (v as { value?: unknown }).value === 'string',
  )
  return (alts.find((a) => a.lang === 'x-default') ?? alts[0])?.value
}

/**
 * Metadata from tags per mappings: for each property the first mapping with a non-empty value wins.
 * Arrays become comma-joined text; dates ISO strings; XMP language alternatives their default text.
 */
export function metadataFromTags(
  tags: Record<string, unknown>,
  mappings: readonly ExifMapping[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const { field, metadataPropertyName } of mappings) {
    if (out[metadataPropertyName] !== undefined) continue
    const value = tags[field]
    let text: string | undefined
    if (typeof value === 'string') text = value.trim()
    else if (typeof value === 'number') text = String(value)
    else if (value instanceof Date) text = value.toISOString()
    else if (altText(value) !== undefined) text = altText(value)!.trim()
    else if (Array.isArray(value))
      text = value.filter((v) => typeof v === 'string' || typeof v === 'number').join(', ')
    if (text) out[metadataPropertyName] = text
  }
  return out
}
