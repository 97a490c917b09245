// What the upload panel checks before a byte is sent: a media type's restrictions as the server applies
// them (src/media/media-types/upload-restrictions.ts), the default media type of a file, and its type
// sniffed from its first bytes.
import type { MediaType } from './api-types.js'

/** What the checks need of a file: its size and (sniffed) type. */
export interface FileFacts {
  size: number
  mime: string
}

const MB = 1024 * 1024
/** The server's defaults when a media type sets no `maxFileSize` (src/media/media-types/upload-restrictions.ts). */
const DEFAULT_MAX_BYTES: Record<MediaType['type'], number> = {
  mediaImage: 15 * MB,
  mediaVideo: 100 * MB,
  mediaFile: 100 * MB,
}
const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: MB, gb: 1024 * MB }
const FAMILY: Partial<Record<MediaType['type'], string>> = { mediaImage: 'image/', mediaVideo: 'video/' }

/** `15mb`, `500kb`, or a number of bytes, as the server reads `maxFileSize`. */
function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return value > 0 ? value : undefined
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(String(value ?? ''))
  return match ? Math.floor(Number(match[1]) * (UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1)) : undefined
}

/** A media type's restrictions as the server applies them: its own, else the defaults of its kind. */
export function restrictionsOf(mediaType: MediaType): { maxBytes: number; allowed: string[] | undefined } {
  const own = mediaType.uploadRestrictions ?? {}
  return {
    maxBytes: parseSize(own.maxFileSize) ?? DEFAULT_MAX_BYTES[mediaType.type] ?? 100 * MB,
    allowed: own.allowedMimeTypes?.map((m) => m.toLowerCase()),
  }
}

/** "1.5 MB" */
export function size(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < MB) return `${(n / 1024).toFixed(1)} KB`
  return n < 1024 * MB ? `${(n / MB).toFixed(1)} MB` : `${(n / 1024 / MB).toFixed(2)} GB`
}

/** "up to 15.0 MB; image/jpeg, image/png" */
export function restrictionText(mediaType: MediaType): string {
  const { maxBytes, allowed } = restrictionsOf(mediaType)
  const family = FAMILY[mediaType.type]
  const types = allowed ? allowed.join(', ') : family ? `any ${family}*` : 'any type'
  return `up to ${size(maxBytes)}; ${types}`
}

/** Why this file may not go to this media type, in the server's words; '' when it may. */
export function refusalOf(mediaType: MediaType, item: FileFacts): string {
  const { maxBytes, allowed } = restrictionsOf(mediaType)
  if (item.size > maxBytes) {
    return `The file is larger than uploadRestrictions.maxFileSize of media type '${mediaType.handle}' (${maxBytes} bytes)`
  }
  const mime = item.mime.toLowerCase()
  if (allowed && !allowed.some((a) => a === mime || (a.endsWith('/*') && mime.startsWith(a.slice(0, -1))))) {
    return `The file's type ${mime} is not in uploadRestrictions.allowedMimeTypes of media type '${mediaType.handle}' (${allowed.join(', ')})`
  }
  const family = FAMILY[mediaType.type]
  if (!allowed && family && !mime.startsWith(family)) {
    return `Media type '${mediaType.handle}' takes ${family}* files; this one is ${mime}`
  }
  return ''
}

/**
 * The media type a file goes to unless the editor chooses another: the server's default for its type
 * (`image`, `video`, `file`) when the project has it and it takes the file, else the first that does.
 */
export function defaultMediaType(mediaTypes: MediaType[], item: FileFacts): MediaType | undefined {
  const family = item.mime.split('/')[0]
  const handle = family === 'image' || family === 'video' ? family : 'file'
  const takes = (t: MediaType) => !refusalOf(t, item)
  return (
    mediaTypes.find((t) => t.handle === handle && takes(t)) ??
    mediaTypes.find(takes) ??
    mediaTypes.find((t) => t.handle === handle) ??
    mediaTypes[0]
  )
}

/** The type of a file from its first bytes (the formats the library takes most), else as named. */
export async function sniff(file: Blob): Promise<string> {
  const b = new Uint8Array(await file.slice(0, 16).arrayBuffer())
  const text = (from: number, to: number) => String.fromCharCode(...b.slice(from, to))
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg'
  if (b[0] === 0x89 && text(1, 4) === 'PNG') return 'image/png'
  if (text(0, 4) === 'GIF8') return 'image/gif'
  if (text(0, 4) === 'RIFF' && text(8, 12) === 'WEBP') return 'image/webp'
  if (text(0, 4) === 'II*\0' || text(0, 4) === 'MM\0*') return 'image/tiff'
  if (text(4, 8) === 'ftyp') {
    const brand = text(8, 12)
    if (brand === 'avif' || brand === 'avis') return 'image/avif'
    if (['heic', 'heix', 'mif1'].includes(brand)) return 'image/heic'
    return brand === 'qt  ' ? 'video/quicktime' : 'video/mp4'
  }
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'video/webm'
  if (text(0, 5) === '%PDF-') return 'application/pdf'
  return file.type || 'application/octet-stream'
}
