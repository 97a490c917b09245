/** The media library's domain types. No HTTP, no SQL, no API version here. */

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
}

/** The record shape of the public API, with its keys in the reference's order. */
export function toRecord(entry: MediaEntry): Record<string, unknown> {
  const record: Record<string, unknown> = { id: entry.id, version: entry.version, mediaType: entry.mediaType }
  if (entry.systemName !== undefined) record.systemName = entry.systemName
  if (entry.externalId !== undefined) record.externalId = entry.externalId
  record.asset = entry.asset
  record.metadata = entry.metadata
  if (entry.translations !== undefined) record.translations = entry.translations
  record.createdAt = entry.createdAt
  record.updatedAt = entry.updatedAt
  return record
}
