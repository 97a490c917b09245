import { describe, expect, it } from 'vitest'
import {
  API_VERSIONS,
  metadataMessage,
  patchFailureError,
  presentImportResult,
  presentList,
  presentPage,
  SUPPORTED_VERSIONS,
} from '../../src/http/api-versions.js'
import type { MediaEntry } from '../../src/media/entry.js'

const entry: MediaEntry = {
  id: 'a',
  version: 3,
  mediaType: 'image',
  asset: { key: 'k.jpg', url: 'https://x.test/k.jpg', size: 1, mimeType: 'image/jpeg', filename: 'k.jpg' },
  metadata: { title: 't' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
}

const version = (name: string) => {
  const v = API_VERSIONS.get(name)
  if (!v) throw new Error(name)
  return v
}

describe('API version presenters', () => {
  it.each([
    ['v1', '2025-03', 'mediaLibraryEntries', true, false],
    ['beta', '2025-03', 'mediaLibraryEntries', true, false],
    ['2025-03', '2025-03', 'mediaLibraryEntries', false, false],
    ['2025-11', '2025-11', 'mediaLibraryEntries', false, false],
    ['2026-01', '2026-01', 'results', false, false],
    ['2026-03', '2026-03', 'results', false, true],
    ['2026-07', '2026-07', 'results', false, true],
  ])('%s behaves as %s: %s, legacy errors %s, 2026-03 features %s', (name, as, key, legacy, late) => {
    const v = version(name)
    expect(v).toMatchObject({ behavesAs: as, listKey: key, legacyMetadataErrors: legacy })
    expect(v.preserveUpdatedAt).toBe(late)
    expect(v.keysEndpoint).toBe(late)
    expect(Object.keys(presentList([], v))).toEqual([key])
  })

  it('lists exactly the documented versions', () => {
    expect(SUPPORTED_VERSIONS).toEqual([
      'v1',
      'beta',
      '2025-03',
      '2025-05',
      '2025-07',
      '2025-09',
      '2025-11',
      '2026-01',
      '2026-03',
      '2026-05',
      '2026-07',
    ])
  })

  it('pages carry the wrapper and the cursor, and records show state fields only when set', () => {
    expect(presentPage([entry], null, version('2026-01'))).toEqual({
      results: [{ ...entry }],
      cursor: null,
    })
    const revoked = { ...entry, revokedAt: '2026-02-01T00:00:00.000Z', revokeNote: 'n' }
    const page = presentPage(
      [revoked, { ...revoked, archivedAt: '2026-03-01T00:00:00.000Z' }],
      'c',
      version('v1'),
    )
    expect(page).toEqual({
      mediaLibraryEntries: [
        { ...entry, state: 'revoked', revokedAt: revoked.revokedAt, revokeNote: 'n' },
        {
          ...entry,
          state: 'archived',
          revokedAt: revoked.revokedAt,
          revokeNote: 'n',
          archivedAt: '2026-03-01T00:00:00.000Z',
        },
      ],
      cursor: 'c',
    })
    const hidden = { ...entry, formerKeys: ['old.jpg'], searchText: 'x' }
    expect(presentPage([hidden], null, version('2026-01'))).toEqual({ results: [entry], cursor: null })
  })

  it('words metadata errors per version, for imports and PATCH alike', () => {
    const error = { metadataProperty: 'title', path: '/title', rule: 'must be string' }
    expect(metadataMessage(error, true)).toBe("The value of '/title' should be string")
    expect(metadataMessage(error, false)).toBe("The value of '/title' must be string")
    const failure = { kind: 'metadata' as const, errors: [{ ...error, translationLocale: 'de' }] }
    const legacy = patchFailureError(failure, version('beta'))
    expect([legacy.status, legacy.error, legacy.details]).toEqual([
      400,
      'MetadataValidationErrors',
      {
        message: 'Metadata validation failed.',
        invalidMetadata: [
          {
            metadataProperty: 'title',
            message: "The value of '/title' should be string",
            translationLocale: 'de',
          },
        ],
      },
    ])
    const dated = patchFailureError(failure, version('2025-05'))
    expect([dated.error, Object.keys(dated.details ?? {})]).toEqual([
      'ValidationError',
      ['message', 'errors'],
    ])
    expect(
      presentImportResult({ ok: false, correlation: 'index: 0', failure }, version('2026-07')),
    ).toMatchObject({
      ok: false,
      correlation: 'index: 0',
      status: 400,
      error: 'ValidationError',
    })
  })
})
