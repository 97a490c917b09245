/**
 * Media types as medialib stores and serves them.
 *
 * On write (import, PATCH replaceAsset, URL import) `asset.mimeType` must be an RFC 6838 `type/subtype`
 * (restricted-name: a letter or digit, then up to 126 of `A-Z a-z 0-9 ! # $ & - ^ _ . +`). The only parameter
 * kept is `charset` on `text/*`, the one place it changes how the bytes read; every other parameter, any
 * control character and any non-ASCII character is refused. The stored value is lower-cased
 * (`text/plain; charset=utf-8`).
 *
 * On read, values stored before this rule existed are reduced to their canonical `type/subtype`, or to
 * `application/octet-stream` when they have none: a stored value never reaches a header as it is.
 */

const NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}'
const CHARSET = "[A-Za-z0-9!#$%&'+^_`{}~.-]{1,40}"

/** The write rule as one pattern (JSON Schema `pattern`, compiled once by Ajv with the rest of the schema). */
export const MIME_TYPE_PATTERN = `^(?:[Tt][Ee][Xx][Tt]/${NAME}(?: *; *[Cc][Hh][Aa][Rr][Ss][Ee][Tt]=(?:${CHARSET}|"${CHARSET}"))?|${NAME}/${NAME})$`

export const MIME_TYPE_RULE =
  "must be a media type 'type/subtype' (RFC 6838, ASCII only; the only parameter allowed is charset on text/*)"

const TYPE_ONLY = new RegExp(`^${NAME}/${NAME}$`)

/** The stored form of a value that matched MIME_TYPE_PATTERN: lower case, `; charset=` spelled one way. */
export function canonicalMimeType(valid: string): string {
  const semicolon = valid.indexOf(';')
  if (semicolon < 0) return valid.toLowerCase()
  const type = valid.slice(0, semicolon).trim().toLowerCase()
  const charset = valid
    .slice(valid.indexOf('=', semicolon) + 1)
    .replace(/^"|"$/g, '')
    .toLowerCase()
  return `${type}; charset=${charset}`
}

/**
 * The `type/subtype` to send for any stored value, valid or not (values stored before validation existed):
 * the part before the first `;`, trimmed and lower-cased, if it is a valid type; else `application/octet-stream`.
 */
export function servedMimeType(stored: string): string {
  const semicolon = stored.indexOf(';')
  const type = (semicolon < 0 ? stored : stored.slice(0, semicolon)).trim().toLowerCase()
  return TYPE_ONLY.test(type) ? type : 'application/octet-stream'
}
