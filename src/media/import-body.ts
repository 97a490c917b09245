import secureJsonParse from 'secure-json-parse'

/**
 * What a big import body turned out to be, read in the import worker (src/media/import-worker.ts) exactly
 * as Fastify's JSON parser and the route's body schema read it on the main thread:
 * - `invalid-json`: Fastify answers FST_ERR_CTP_INVALID_JSON_BODY (also for `__proto__`/`constructor` keys);
 * - `shape`: not `{mediaLibraryEntries: [...]}` within the entry limit; `standIn` is a small body that fails
 *   the route's schema with the same error, so the main thread lets Fastify word the 400;
 * - `entries`: the entries, to import.
 */
export type ParsedImportBody =
  { kind: 'invalid-json' } | { kind: 'shape'; standIn: unknown } | { kind: 'entries'; entries: unknown[] }

/** Fastify's defaults (onProtoPoisoning, onConstructorPoisoning), which app.ts keeps. */
const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const

/**
 * Parses an import body. The usual body, `{"mediaLibraryEntries":[{…},…]}` (any whitespace), is parsed
 * entry by entry straight from the bytes, so the body never exists as one 64 MiB string next to its parsed
 * tree; any other body (other keys, escapes in the key, a byte-order mark, invalid JSON, too many
 * entries) is parsed whole, as Fastify would.
 */
export function parseImportBody(bytes: Uint8Array, maxEntries: number): ParsedImportBody {
  const entries = entriesOf(bytes, maxEntries)
  return entries ? { kind: 'entries', entries } : parseWhole(bytes, maxEntries)
}

/** A small value of the same JSON type: the schema's type errors do not quote values. */
function sameType(value: unknown): unknown {
  if (Array.isArray(value)) return []
  if (value !== null && typeof value === 'object') return {}
  return typeof value === 'string' ? '' : value
}

const text = (bytes: Uint8Array, start: number, end: number) =>
  Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8')

function parseWhole(bytes: Uint8Array, maxEntries: number): ParsedImportBody {
  let body: unknown
  try {
    body = secureJsonParse(text(bytes, 0, bytes.length), PARSE_OPTIONS)
  } catch {
    return { kind: 'invalid-json' }
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { kind: 'shape', standIn: sameType(body) }
  }
  if (!('mediaLibraryEntries' in body)) return { kind: 'shape', standIn: {} }
  const entries = body.mediaLibraryEntries
  if (!Array.isArray(entries)) return { kind: 'shape', standIn: { mediaLibraryEntries: sameType(entries) } }
  if (entries.length > maxEntries) {
    return { kind: 'shape', standIn: { mediaLibraryEntries: new Array<null>(entries.length).fill(null) } }
  }
  return { kind: 'entries', entries }
}

const SPACE = 0x20
const TAB = 0x09
const LF = 0x0a
const CR = 0x0d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const KEY = Buffer.from('"mediaLibraryEntries"')

/** The entries of the usual body, each parsed alone; undefined when the body is anything else. */
function entriesOf(bytes: Uint8Array, maxEntries: number): unknown[] | undefined {
  const n = bytes.length
  let pos = 0
  const skipSpace = () => {
    while (pos < n) {
      const c = bytes[pos]!
      if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break
      pos++
    }
  }
  const take = (c: number) => {
    skipSpace()
    if (bytes[pos] !== c) return false
    pos++
    return true
  }
  if (!take(OPEN_BRACE)) return undefined
  skipSpace()
  for (let k = 0; k < KEY.length; k++) if (bytes[pos + k] !== KEY[k]) return undefined
  pos += KEY.length
  if (!take(COLON) || !take(OPEN_BRACKET)) return undefined
  const entries: unknown[] = []
  skipSpace()
  if (bytes[pos] === CLOSE_BRACKET) pos++
  else {
    for (;;) {
      skipSpace()
      if (bytes[pos] !== OPEN_BRACE || entries.length === maxEntries) return undefined
      const start = pos
      // To the brace that closes the entry, stepping over strings (the entry itself is checked by parsing).
      let depth = 0
      for (; pos < n; pos++) {
        const c = bytes[pos]!
        if (c === QUOTE) {
          for (pos++; pos < n && bytes[pos] !== QUOTE; pos++) if (bytes[pos] === BACKSLASH) pos++
        } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++
        else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) break
      }
      if (pos >= n) return undefined
      pos++
      try {
        entries.push(secureJsonParse(text(bytes, start, pos), PARSE_OPTIONS))
      } catch {
        return undefined
      }
      if (take(COMMA)) continue
      if (bytes[pos] === CLOSE_BRACKET) {
        pos++
        break
      }
      return undefined
    }
  }
  if (!take(CLOSE_BRACE)) return undefined
  skipSpace()
  return pos === n ? entries : undefined
}
