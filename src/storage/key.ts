/**
 * The one grammar of storage keys, shared by the API schemas (import, PATCH), the URL importer and every
 * blob store: whatever the API accepts, each store can hold and serve, and nothing can name a file outside
 * the project's namespace.
 */

/** A client key is at most this many bytes of UTF-8 (S3 allows 1024 including the project's prefix). */
export const MAX_KEY_BYTES = 900
/** Each `/`-separated segment is at most this many bytes: a file name (255) with room for a store's suffix. */
export const MAX_SEGMENT_BYTES = 200
/** Keys the stores handle internally (a namespace prefix plus a client key). */
export const MAX_STORE_KEY_BYTES = 1024

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** The rule a key breaks, worded for an API error (`'…' must …`), or undefined for a valid key. */
export function keyProblem(key: unknown, maxBytes: number = MAX_KEY_BYTES): string | undefined {
  if (typeof key !== 'string') return 'must be a string'
  if (key.length === 0) return 'must not be empty'
  if (LONE_SURROGATE.test(key)) return 'must be valid Unicode (no unpaired surrogates)'
  if (Buffer.byteLength(key, 'utf8') > maxBytes) return `must be at most ${maxBytes} bytes of UTF-8`
  if (CONTROL.test(key)) return 'must not contain control characters'
  if (key.includes('\\')) return 'must not contain a backslash'
  if (key.startsWith('/')) return 'must be relative (no leading /)'
  if (key.endsWith('/')) return 'must not end with /'
  const segments = key.split('/')
  if (segments.includes('')) return 'must not contain an empty segment (//)'
  if (segments.some((s) => s === '.' || s === '..')) return "must not contain a '.' or '..' segment"
  if (segments.some((s) => Buffer.byteLength(s, 'utf8') > MAX_SEGMENT_BYTES))
    return `must not have a segment longer than ${MAX_SEGMENT_BYTES} bytes of UTF-8`
  return undefined
}

export class InvalidKeyError extends Error {
  constructor(
    key: string,
    readonly rule: string = keyProblem(key) ?? 'is invalid',
  ) {
    super(`Invalid storage key ${JSON.stringify(key)}: ${rule}`)
    this.name = 'InvalidKeyError'
  }
}

/** Throws InvalidKeyError unless the key follows the grammar; returns it otherwise. */
export function checkKey(key: string, maxBytes: number = MAX_KEY_BYTES): string {
  const problem = keyProblem(key, maxBytes)
  if (problem !== undefined) throw new InvalidKeyError(key, problem)
  return key
}
