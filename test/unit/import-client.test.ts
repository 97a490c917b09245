import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { checkpointPathOf, ReportWithCheckpoint } from '../../src/cli/import/checkpoint.js'
import type { EntryRecord } from '../../src/client/api-client.js'
import { backoffMs, DEFAULT_RETRY, isRetryableStatus, retryAfterMs } from '../../src/client/http-retry.js'
import { sameContent, toImportInput } from '../../src/client/records.js'

const record: EntryRecord = {
  id: 'a-1',
  version: 3,
  mediaType: 'image',
  systemName: 'legacy',
  externalId: 'x1',
  asset: {
    key: 'k.jpg',
    url: 'https://x/k.jpg',
    size: 1,
    width: 2,
    height: 3,
    mimeType: 'image/jpeg',
    filename: 'k.jpg',
  },
  metadata: { title: 'T', nested: { a: 1, b: [1, 2] } },
  translations: [{ locale: 'de', metadata: { title: 'D' } }],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  state: 'revoked',
  revokedAt: '2026-01-02T00:00:00.000Z',
}

describe('records', () => {
  it('keeps only import input when exporting', () => {
    const input = toImportInput(record)
    expect(Object.keys(input)).toEqual([
      'id',
      'systemName',
      'externalId',
      'mediaType',
      'asset',
      'metadata',
      'translations',
    ])
  })

  it('compares content deeply and independently of key order', () => {
    const entry = JSON.parse(JSON.stringify(toImportInput(record))) as Record<string, unknown>
    expect(sameContent(entry, record)).toBe(true)
    const reordered = { ...entry, metadata: { nested: { b: [1, 2], a: 1 }, title: 'T' } }
    expect(sameContent(reordered, record)).toBe(true)
    const { id: _id, ...withoutId } = entry
    void _id
    expect(sameContent(withoutId, record)).toBe(true)
    expect(sameContent({ ...entry, id: 'other' }, record)).toBe(false)
    expect(sameContent({ ...entry, metadata: { title: 'T', nested: { a: 1, b: [2, 1] } } }, record)).toBe(
      false,
    )
    expect(sameContent({ ...entry, translations: undefined }, record)).toBe(false)
    expect(sameContent({ ...entry, asset: { ...(entry.asset as object), size: '1' } }, record)).toBe(false)
    expect(sameContent({ ...entry, systemName: undefined, externalId: undefined }, record)).toBe(false)
    const bare = { ...record, metadata: {} }
    expect(sameContent({ ...toImportInput(bare), metadata: undefined }, bare)).toBe(true)
  })
})

describe('retries', () => {
  it.each([
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
    [409, false],
    [413, false],
  ])('status %i is retried: %s', (status, retried) => {
    expect(isRetryableStatus(status)).toBe(retried)
  })

  it('reads Retry-After in seconds or as a date', () => {
    expect(retryAfterMs('2')).toBe(2000)
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000)
    expect(retryAfterMs(null)).toBeUndefined()
    expect(retryAfterMs('soon')).toBeUndefined()
  })

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffMs(1, DEFAULT_RETRY, () => 0)).toBe(125)
    expect(backoffMs(1, DEFAULT_RETRY, () => 1)).toBe(250)
    expect(backoffMs(4, DEFAULT_RETRY, () => 1)).toBe(2000)
    expect(backoffMs(30, DEFAULT_RETRY, () => 1)).toBe(DEFAULT_RETRY.maxDelayMs)
  })
})

describe('report and checkpoint', () => {
  let dir: string
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('resumes where the checkpoint says, cutting report lines written after it', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-checkpoint-'))
    const report = path.join(dir, 'report.ndjson')
    const first = new ReportWithCheckpoint(report, 'in.ndjson', false)
    first.counts.ok += 3
    first.commit([0, 1, 2], ['a', 'b', 'c'])
    first.counts.ok += 2
    first.commit([5, 6], ['f', 'g']) // out of order: 3 and 4 are still in flight
    first.close()
    // A crash after a batch's lines reached the report but before the checkpoint did:
    const saved = readFileSync(checkpointPathOf(report), 'utf8')
    const late = new ReportWithCheckpoint(report, 'in.ndjson', true)
    late.commit([3], ['d-not-checkpointed'])
    late.close()
    writeFileSync(checkpointPathOf(report), saved)

    const resumed = new ReportWithCheckpoint(report, 'in.ndjson', true)
    expect(resumed.resumedFrom).toBe(5)
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => resumed.isDone(i))).toEqual([
      true,
      true,
      true,
      false,
      false,
      true,
      true,
      false,
    ])
    expect(resumed.counts.ok).toBe(5)
    expect(readFileSync(report, 'utf8')).toBe('a\nb\nc\nf\ng\n')
    resumed.commit([3, 4], ['d', 'e'])
    resumed.close()
    expect(readFileSync(report, 'utf8')).toBe('a\nb\nc\nf\ng\nd\ne\n')
    expect(JSON.parse(readFileSync(checkpointPathOf(report), 'utf8'))).toMatchObject({
      doneBelow: 7,
      doneRanges: [],
    })

    expect(() => new ReportWithCheckpoint(report, 'other.ndjson', true)).toThrow(/belongs to the input/)
    const fresh = new ReportWithCheckpoint(report, 'other.ndjson', false)
    expect(fresh.resumedFrom).toBe(0)
    fresh.close()
    expect(readFileSync(report, 'utf8')).toBe('')
  })
})
