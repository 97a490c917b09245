import type { MediaEntry } from './entry.js'
import type { CompiledMediaType } from './media-types/metadata-validator.js'

/** Most characters of search text kept per entry: bounds the index and the per-entry work on import. */
const MAX_SEARCH_TEXT = 8_000

/** Handles of the properties whose text the full-text search covers, per media type config (cached). */
const indexedCache = new WeakMap<CompiledMediaType, string[]>()

function indexedHandles(mediaType: CompiledMediaType): string[] {
  let handles = indexedCache.get(mediaType)
  if (!handles) {
    handles = mediaType.config.metadata.filter((d) => d.config?.index === true).map((d) => d.handle)
    indexedCache.set(mediaType, handles)
  }
  return handles
}

function collect(out: string[], metadata: Record<string, unknown>, handles: readonly string[]): void {
  for (const handle of handles) {
    const value = metadata[handle]
    if (typeof value === 'string') out.push(value)
    else if (Array.isArray(value)) for (const v of value) if (typeof v === 'string') out.push(v)
  }
}

/**
 * The text the full-text index holds for an entry: the string values (and string-list items) of the
 * metadata properties its media type marks `index: true`, in the main metadata and every translation,
 * and the filenames of its assets. Without a known media type only the filenames count.
 */
export function searchTextOf(
  entry: Pick<MediaEntry, 'asset' | 'metadata' | 'translations'>,
  mediaType: CompiledMediaType | undefined,
): string {
  const parts: string[] = [entry.asset.filename]
  const handles = mediaType ? indexedHandles(mediaType) : []
  if (handles.length > 0) collect(parts, entry.metadata, handles)
  for (const t of entry.translations ?? []) {
    if (handles.length > 0) collect(parts, t.metadata, handles)
    if (t.asset) parts.push(t.asset.filename)
  }
  const text = normalizeParts(parts)
  if (text.length <= MAX_SEARCH_TEXT) return text
  // A slice of a longer string keeps the whole string alive in V8: a copy keeps only the slice (a batch of
  // 2,000 entries with 32 KB captions held 64 MB more until it was answered).
  return Buffer.from(text.slice(0, MAX_SEARCH_TEXT), 'utf16le').toString('utf16le')
}

/** Any character outside ASCII: text without one takes normalize's fast path. */
// eslint-disable-next-line no-control-regex -- the whole ASCII range is the point
const NON_ASCII = /[^\u0000-\u007f]/

/**
 * Lower case, accents removed, every run of characters other than letters and digits made one space.
 * Stored text and query words go through the same function, so SQLite's and PostgreSQL's tokenizers
 * both see plain space-separated words (`photo-12.jpg` is `photo 12 jpg` on both).
 *
 * ASCII text gives the same result without the Unicode steps: its decomposition is itself, it has no
 * marks, and its letters and digits after lower-casing are a–z and 0–9. The Unicode regexes cost most
 * of an import's search text, and most filenames, titles and captions are ASCII.
 */
function normalize(text: string): string {
  if (!NON_ASCII.test(text))
    return text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim()
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
}

/**
 * `normalize(parts.join(' '))`, each part on its own: a non-ASCII part (a translated title) no longer
 * sends its entry's ASCII parts through the Unicode steps. The same text, since a space separates the
 * parts either way and neither a decomposition nor a mark crosses a space (test/unit/search-text.test.ts
 * checks it against the joined form).
 */
export function normalizeParts(parts: readonly string[]): string {
  let text = ''
  for (const part of parts) {
    const words = normalize(part)
    if (words !== '') text = text === '' ? words : `${text} ${words}`
  }
  return text
}

/** Most words a query may have. */
export const MAX_QUERY_WORDS = 16

/** The words of a full-text query, normalised as the stored text is; at most MAX_QUERY_WORDS. */
export function searchWords(q: string): string[] {
  const text = normalize(q)
  return text === '' ? [] : text.split(' ').slice(0, MAX_QUERY_WORDS)
}
