import { AppError } from '../errors.js'
import type { MediaEntry } from './entry.js'
import type { CompiledMediaType } from './media-types/metadata-validator.js'

/** Whether an entry is revoked or marked invalid (an `li-invalid` metadata property set to true). */
export function isWithheld(entry: MediaEntry, mediaType: CompiledMediaType | undefined): boolean {
  if (entry.revokedAt !== undefined) return true
  return (
    mediaType?.config.metadata.some((p) => p.type === 'li-invalid' && entry.metadata[p.handle] === true) ??
    false
  )
}

/** The 403 for a revoked or invalid entry: neither its original nor anything made from it is served. */
export function withheldError(): AppError {
  return new AppError(403, 'Forbidden', { message: 'The requested image is revoked or marked as invalid' })
}
