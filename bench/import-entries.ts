/**
 * The entries the import benchmark writes, and the same entries as plain rows for the ceiling.
 * Entry n is about 400 bytes of asset and metadata, has systemName and externalId, and every 10th
 * carries one translation. `tag` keeps externalIds of different runs apart.
 */
import { generateEntryId } from '../src/media/ids.js'
import { createAjv } from '../src/media/ajv.js'
import { defaultMediaTypes } from '../src/media/media-types/media-type.js'
import { compileMediaType } from '../src/media/media-types/metadata-validator.js'
import { searchTextOf } from '../src/media/search-text.js'
import { INSERT_COLUMNS } from '../src/db/media-entry.rows.js'

/** The benchmark's entries are of the default `image` media type. */
const DEFAULT_IMAGE = compileMediaType(createAjv(), defaultMediaTypes()[0]!)

export const BENCH_PROJECT = 'default'
export const BENCH_SYSTEM = 'bench-archive'

export interface BenchEntry {
  systemName: string
  externalId: string
  mediaType: string
  asset: {
    key: string
    url: string
    size: number
    width: number
    height: number
    mimeType: string
    filename: string
  }
  metadata: Record<string, string>
  translations?: { locale: string; metadata: Record<string, string> }[]
}

export function benchEntry(n: number, tag: string): BenchEntry {
  const key = `2026/03/${tag}/${n.toString(36)}-harbour.jpg`
  const entry: BenchEntry = {
    systemName: BENCH_SYSTEM,
    externalId: `${tag}-${n}`,
    mediaType: 'image',
    asset: {
      key,
      url: `https://cdn.example.com/${key}`,
      size: 200_000 + (n % 90_000),
      width: 1600,
      height: 900,
      mimeType: 'image/jpeg',
      filename: `harbour-${n}.jpg`,
    },
    metadata: {
      title: `Harbour at dusk, photo ${n}`,
      caption: 'Fishing boats in the old harbour at dusk, seen from the pier.',
      source: 'City archive',
    },
  }
  if (n % 10 === 0) {
    entry.translations = [{ locale: 'de', metadata: { title: `Hafen in der Abenddämmerung, Foto ${n}` } }]
  }
  return entry
}

export function benchEntries(start: number, count: number, tag: string): BenchEntry[] {
  return Array.from({ length: count }, (_, i) => benchEntry(start + i, tag))
}

/** The 12 columns medialib writes per entry, in the ceiling's statement order (the repository's own list). */
export const CEILING_COLUMNS = INSERT_COLUMNS

/**
 * An entry as the row medialib stores (the same id format, JSON text, timestamps and search text).
 * PostgreSQL takes the ISO timestamp text for its timestamptz columns.
 */
export function ceilingRow(entry: BenchEntry, timestamp: string): unknown[] {
  return [
    BENCH_PROJECT,
    generateEntryId(),
    1,
    entry.mediaType,
    entry.systemName,
    entry.externalId,
    JSON.stringify(entry.asset),
    JSON.stringify(entry.metadata),
    entry.translations === undefined ? null : JSON.stringify(entry.translations),
    timestamp,
    timestamp,
    // The default media type indexes title, caption and description, besides the filenames.
    searchTextOf(entry as never, DEFAULT_IMAGE),
  ]
}
