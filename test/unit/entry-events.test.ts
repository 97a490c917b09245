import { describe, expect, it } from 'vitest'
import { eventsOfWrite } from '../../src/events/entry-events.js'
import type { MediaEntry } from '../../src/media/entry.js'

const base: MediaEntry = {
  id: 'e1',
  version: 1,
  mediaType: 'image',
  asset: { key: 'a.jpg', url: 'https://x/a.jpg', size: 1, mimeType: 'image/jpeg', filename: 'a.jpg' },
  metadata: { title: 'T' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}
const at = '2026-02-01T00:00:00.000Z'
const names = (before: Partial<MediaEntry>, after: Partial<MediaEntry>) =>
  eventsOfWrite({ ...base, ...before }, { ...base, ...after }).map((e) =>
    e.changes ? `${e.event} ${e.changes.join(',')}` : e.event,
  )

describe('eventsOfWrite', () => {
  it.each([
    [
      'metadata change',
      {},
      { metadata: { title: 'U', caption: 'C' } },
      ['mediaLibraryEntry.update metadata.caption,metadata.title'],
    ],
    ['nothing changed', {}, {}, []],
    ['archive', {}, { archivedAt: at }, ['mediaLibraryEntry.archive']],
    ['unarchive', { archivedAt: at }, {}, ['mediaLibraryEntry.active']],
    ['revoke', {}, { revokedAt: at }, ['mediaLibraryEntry.revoke']],
    [
      'unrevoke of an archived entry stays inactive',
      { revokedAt: at, archivedAt: at },
      { archivedAt: at },
      [],
    ],
    ['to the trash', {}, { deletedAt: at }, ['mediaLibraryEntry.delete']],
    ['restore', { deletedAt: at }, {}, ['mediaLibraryEntry.active']],
    [
      'li-invalid set',
      {},
      { metadata: { title: 'T', 'li-invalid': true } },
      ['mediaLibraryEntry.update metadata.li-invalid', 'mediaLibraryEntry.invalid'],
    ],
    [
      'title and archive in one PATCH',
      {},
      { metadata: { title: 'U' }, archivedAt: at },
      ['mediaLibraryEntry.update metadata.title', 'mediaLibraryEntry.archive'],
    ],
    ['protection', {}, { storedInArchiveAt: at }, ['mediaLibraryEntry.update storedInArchive']],
  ] as const)('%s', (_name, before, after, expected) => {
    expect(names(before as Partial<MediaEntry>, after as Partial<MediaEntry>)).toEqual(expected)
  })
})
