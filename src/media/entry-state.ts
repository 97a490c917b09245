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
