import { randomBytes } from 'node:crypto'

/** The characters an entry id may hold: `^[a-zA-Z0-9-]{1,32}$`. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-'

/** A random id of `length` characters from the id alphabet (12 characters carry about 71 bits). */
export function generateId(length = 12): string {
  let id = ''
  while (id.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 6 bits index 64 slots; the 64th has no character, so rejecting it keeps the draw uniform.
      const slot = byte & 63
      if (slot < ALPHABET.length) id += ALPHABET[slot]
      if (id.length === length) break
    }
  }
  return id
}
