import { randomFillSync } from 'node:crypto'

/** The characters an entry id may hold: `^[a-zA-Z0-9-]{1,32}$`. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-'

/**
 * Random bytes are drawn 4 KiB at a time (as Node does for randomUUID): one getrandom call per id cost
 * about 12 µs, more than inserting the entry. Every byte is used once.
 */
const pool = Buffer.alloc(4096)
let offset = pool.length

function randomByte(): number {
  if (offset === pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  return pool[offset++]!
}

/** A random id of `length` characters from the id alphabet (12 characters carry about 71 bits). */
export function generateId(length = 12): string {
  let id = ''
  while (id.length < length) {
    // 6 bits index 64 slots; the 64th has no character, so rejecting it keeps the draw uniform.
    const slot = randomByte() & 63
    if (slot < ALPHABET.length) id += ALPHABET[slot]
  }
  return id
}
