/** The media library's domain types. No HTTP, no SQL, no API version here. */

import type { UsageLogEntry } from './usage-log.js'

export type MediaKind = 'mediaImage' | 'mediaVideo' | 'mediaFile'

/** An asset as the client describes it; which keys are required depends on the media kind. */
export interface Asset {
  key: string
  url: string
  size: number
  mimeType: string
  filename: string
  width?: number
  height?: number
  duration?: number
  [extra: string]: unknown
}

export interface Translation {
  locale: string
  metadata: Record<string, unknown>
  asset?: Asset
}

export interface MediaEntry {
  id: string
  version: number
  mediaType: string
  systemName?: string
  externalId?: string
  asset: Asset
  metadata: Record<string, unknown>
  translations?: Translation[]
  /** ISO-8601. */
  createdAt: string
  /** ISO-8601. */
  updatedAt: string
  /** ISO-8601; set while the entry is revoked (its asset must not be used). */
  revokedAt?: string
  /** Why it was revoked, at most 200 characters; only while revoked. */
  revokeNote?: string
  /** ISO-8601; set once the entry is archived (hidden from lists unless asked for). */
  archivedAt?: string
  /** ISO-8601; set while the entry is stored in archive (protected: it cannot be deleted). */
  storedInArchiveAt?: string
  /** ISO-8601; set while the entry is in the trash (hidden from reads; restorable for `trashDays`). */
  deletedAt?: string
  /** The usage log (reference release-2026-05). Not in the record: `GET …/{id}/usageLog` serves it. */
  usageLog?: UsageLogEntry[]
  /** Storage keys the entry used before: replaced assets and removed translated assets. Not in the record. */
  formerKeys?: string[]
  /**
   * The text the full-text index holds (indexed metadata texts and filenames), derived on write by
   * `searchTextOf`. Write-only: not read back and not in the record.
   */
  searchText?: string
  /**
   * The SHA-256 of the asset's bytes, when the importer knows it (URL imports and uploads): written with the
   * entry in its own insert, so that an unchanged re-import is skipped. Write-only, like `searchText`.
   */
  contentSha256?: string
}

/** An entry's state: `archived` wins over `revoked`, which wins over `active`. */
export type EntryState = 'active' | 'revoked' | 'archived'

export const ENTRY_STATES: readonly EntryState[] = ['active', 'revoked', 'archived']

export function stateOf(entry: Pick<MediaEntry, 'revokedAt' | 'archivedAt'>): EntryState {
  if (entry.archivedAt !== undefined) return 'archived'
  if (entry.revokedAt !== undefined) return 'revoked'
  return 'active'
}

/**
 * The record shape of the public API, with its keys in the reference's order, then our state fields:
 * `state` (`revoked` or `archived`; absent means active), `revokedAt`/`revokeNote`/`archivedAt`/
 * `storedInArchiveAt` when set.
 */
export function toRecord(entry: MediaEntry): Record<string, unknown> {
  const record: Record<string, unknown> = { id: entry.id, version: entry.version, mediaType: entry.mediaType }
  if (entry.systemName !== undefined) record.systemName = entry.systemName
  if (entry.externalId !== undefined) record.externalId = entry.externalId
  record.asset = entry.asset
  record.metadata = entry.metadata
  if (entry.translations !== undefined) record.translations = entry.translations
  record.createdAt = entry.createdAt
  record.updatedAt = entry.updatedAt
  const state = stateOf(entry)
  // An active entry's record is exactly the reference's: the state fields appear once it leaves that state.
  if (state !== 'active') record.state = state
  if (entry.revokedAt !== undefined) record.revokedAt = entry.revokedAt
  if (entry.revokeNote !== undefined) record.revokeNote = entry.revokeNote
  if (entry.archivedAt !== undefined) record.archivedAt = entry.archivedAt
  if (entry.storedInArchiveAt !== undefined) record.storedInArchiveAt = entry.storedInArchiveAt
  return record
}

/** The fields of an entry its media type validates, as the entry validator takes them. */
export function contentOf(
  entry: Pick<MediaEntry, 'mediaType' | 'asset' | 'metadata' | 'translations'>,
): Record<string, unknown> {
  const content: Record<string, unknown> = {
    mediaType: entry.mediaType,
    asset: entry.asset,
    metadata: entry.metadata,
  }
  if (entry.translations !== undefined) content.translations = entry.translations
  return content
}
