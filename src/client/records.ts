import { isDeepStrictEqual } from 'node:util'
import type { EntryRecord, ImportEntry } from './api-client.js'

/** The fields of a record that are import input. Version, timestamps and state fields are not. */
const INPUT_FIELDS = [
  'id',
  'systemName',
  'externalId',
  'mediaType',
  'asset',
  'metadata',
  'translations',
] as const

/** A stored record as a valid import entry (what `medialib export` writes, one per line). */
export function toImportInput(record: EntryRecord): ImportEntry {
  const out: Record<string, unknown> = {}
  for (const field of INPUT_FIELDS) if (record[field] !== undefined) out[field] = record[field]
  return out as ImportEntry
}

/**
 * Whether a stored record holds exactly what an import entry asks for: mediaType, systemName,
 * externalId, asset, metadata (absent = `{}`) and translations, compared deeply and independently of key
 * order (PostgreSQL's jsonb reorders keys). The id is compared only when the entry names one.
 */
export function sameContent(entry: Record<string, unknown>, record: EntryRecord): boolean {
  if (entry.id !== undefined && entry.id !== record.id) return false
  return (
    entry.mediaType === record.mediaType &&
    entry.systemName === record.systemName &&
    entry.externalId === record.externalId &&
    isDeepStrictEqual(entry.asset, record.asset) &&
    isDeepStrictEqual(entry.metadata ?? {}, record.metadata ?? {}) &&
    isDeepStrictEqual(entry.translations, record.translations)
  )
}
