import type { MediaKind } from '../entry.js'

/** What a media type accepts as a file: checked on the real size and the sniffed type (issue #18). */
export interface UploadRestrictions {
  maxBytes: number
  /** Exact types (`image/png`) or families (`image/*`); undefined: any type of the kind. */
  allowedMimeTypes?: readonly string[]
}

const MB = 1024 * 1024

/** The reference's defaults: images 15 MB, videos and files 100 MB. */
export const DEFAULT_MAX_BYTES: Record<MediaKind, number> = {
  mediaImage: 15 * MB,
  mediaVideo: 100 * MB,
  mediaFile: 100 * MB,
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: MB, gb: 1024 * MB }

/** `15mb`, `10MB`, `500kb`, `1gb`, or a number of bytes; undefined when it is none of these. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined
  if (typeof value !== 'string') return undefined
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value)
  if (!match) return undefined
  const bytes = Math.floor(Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()]!)
  return bytes > 0 ? bytes : undefined
}

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/

/** Problems of a media type's `uploadRestrictions` (`where` names it), in the config loader's words. */
export function checkUploadRestrictions(raw: unknown, where: string): string[] {
  if (raw === undefined) return []
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [`${where} must be an object`]
  const { maxFileSize, allowedMimeTypes, ...rest } = raw as Record<string, unknown>
  const problems = Object.keys(rest).map(
    (k) => `${where} has the unknown key '${k}' (known keys: maxFileSize, allowedMimeTypes)`,
  )
  if (maxFileSize !== undefined && parseSize(maxFileSize) === undefined) {
    problems.push(`${where}.maxFileSize must be a size such as 15mb or a number of bytes`)
  }
  if (
    allowedMimeTypes !== undefined &&
    (!Array.isArray(allowedMimeTypes) ||
      allowedMimeTypes.length === 0 ||
      allowedMimeTypes.some((m) => typeof m !== 'string' || !MIME.test(m.toLowerCase())))
  ) {
    problems.push(`${where}.allowedMimeTypes must be a non-empty list of types such as image/png or image/*`)
  }
  return problems
}

/** The effective restrictions of a media type: its own, or the defaults of its kind. */
export function restrictionsOf(config: {
  type: MediaKind
  uploadRestrictions?: { maxFileSize?: unknown; allowedMimeTypes?: readonly string[] }
}): UploadRestrictions {
  const own = config.uploadRestrictions
  const restrictions: UploadRestrictions = {
    maxBytes: parseSize(own?.maxFileSize) ?? DEFAULT_MAX_BYTES[config.type],
  }
  if (own?.allowedMimeTypes) restrictions.allowedMimeTypes = own.allowedMimeTypes.map((m) => m.toLowerCase())
  return restrictions
}

/** Whether the sniffed type is one the restrictions allow (`image/*` allows every image type). */
export function mimeAllowed(mime: string, restrictions: UploadRestrictions): boolean {
  const allowed = restrictions.allowedMimeTypes
  if (!allowed) return true
  const type = mime.toLowerCase()
  return allowed.some((a) => a === type || (a.endsWith('/*') && type.startsWith(a.slice(0, -1))))
}

/** A file refused by a media type's restriction; the message names the restriction and the limit. */
export class RestrictionError extends Error {
  constructor(
    readonly restriction: 'maxFileSize' | 'allowedMimeTypes',
    message: string,
  ) {
    super(message)
    this.name = 'RestrictionError'
  }
}

export function tooLarge(mediaType: string, restrictions: UploadRestrictions): RestrictionError {
  return new RestrictionError(
    'maxFileSize',
    `The file is larger than uploadRestrictions.maxFileSize of media type '${mediaType}' (${restrictions.maxBytes} bytes)`,
  )
}

export function typeRefused(
  mediaType: string,
  mime: string,
  restrictions: UploadRestrictions,
): RestrictionError {
  return new RestrictionError(
    'allowedMimeTypes',
    `The file's type ${mime} is not in uploadRestrictions.allowedMimeTypes of media type '${mediaType}' (${(restrictions.allowedMimeTypes ?? []).join(', ')})`,
  )
}
