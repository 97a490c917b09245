import type { MediaEntry } from '../media/entry.js'

/** The entry events (issue #16), as the reference names its webhook events. */
export const ENTRY_EVENTS = [
  'mediaLibraryEntry.create',
  'mediaLibraryEntry.update',
  'mediaLibraryEntry.archive',
  'mediaLibraryEntry.revoke',
  'mediaLibraryEntry.active',
  'mediaLibraryEntry.invalid',
  'mediaLibraryEntry.delete',
] as const
export type EntryEventName = (typeof ENTRY_EVENTS)[number]

/** Who made a change: an API token (`api-client`), a person in the UI or at the CLI (`user`), a URL import. */
export interface Actor {
  type: 'user' | 'api-client' | 'importer'
  name?: string
}

/** One event of one entry, before it is stored. `changes` (updates only) names the changed fields. */
export interface EntryEvent {
  event: EntryEventName
  mediaId: string
  changes?: string[]
}

/** The metadata property of the reference's validity plugin: an entry whose value turns truthy is invalid. */
export const INVALID_PROPERTY = 'li-invalid'

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

/**
 * The fields an update changed: `metadata.<property>` per changed property, then `asset`, `translations`,
 * `usageLog` and `storedInArchive` when they changed. State fields (archive, revoke, trash) have events of
 * their own and are not listed.
 */
export function changedFields(before: MediaEntry, after: MediaEntry): string[] {
  const changes: string[] = []
  const names = new Set([...Object.keys(before.metadata), ...Object.keys(after.metadata)])
  for (const name of [...names].sort()) {
    if (!same(before.metadata[name], after.metadata[name])) changes.push(`metadata.${name}`)
  }
  if (!same(before.asset, after.asset)) changes.push('asset')
  if (!same(before.translations, after.translations)) changes.push('translations')
  if (!same(before.usageLog, after.usageLog)) changes.push('usageLog')
  if (before.storedInArchiveAt !== after.storedInArchiveAt) changes.push('storedInArchive')
  return changes
}

const isInvalid = (e: MediaEntry) => Boolean(e.metadata[INVALID_PROPERTY])
const isActive = (e: MediaEntry) =>
  e.archivedAt === undefined && e.revokedAt === undefined && e.deletedAt === undefined && !isInvalid(e)

/**
 * The events one write of an entry makes, in this order: `update` (with the changed fields), then the
 * state it entered: `delete` (to the trash), `archive`, `revoke`, `invalid`, or `active` when it left
 * every one of those (unarchive, unrevoke, restore from the trash, valid again).
 */
export function eventsOfWrite(before: MediaEntry, after: MediaEntry): EntryEvent[] {
  const mediaId = after.id
  const events: EntryEvent[] = []
  const changes = changedFields(before, after)
  if (changes.length > 0) events.push({ event: 'mediaLibraryEntry.update', mediaId, changes })
  if (before.deletedAt === undefined && after.deletedAt !== undefined) {
    events.push({ event: 'mediaLibraryEntry.delete', mediaId })
  }
  if (before.archivedAt === undefined && after.archivedAt !== undefined) {
    events.push({ event: 'mediaLibraryEntry.archive', mediaId })
  }
  if (before.revokedAt === undefined && after.revokedAt !== undefined) {
    events.push({ event: 'mediaLibraryEntry.revoke', mediaId })
  }
  if (!isInvalid(before) && isInvalid(after)) events.push({ event: 'mediaLibraryEntry.invalid', mediaId })
  if (!isActive(before) && isActive(after)) events.push({ event: 'mediaLibraryEntry.active', mediaId })
  return events
}

/** Whether `name` is an entry event. */
export const isEntryEvent = (name: string): name is EntryEventName =>
  (ENTRY_EVENTS as readonly string[]).includes(name)
