import { describe, expect, it } from 'vitest'
import { createImportService, type ImportResult } from '../../../src/media/import.service.js'
import { imageEntry } from '../../helpers/fixtures.js'
import { FakeMediaEntries } from '../../fakes/media-entries.fake.js'
import { realValidation } from '../../fakes/media-types.js'

const NOW = new Date('2026-12-01T10:00:00.000Z')
const { validator, mediaTypes } = realValidation()

function setup() {
  const store = new FakeMediaEntries()
  const service = createImportService({ entries: store.repository, validator, now: () => NOW })
  const run = (entries: unknown[], project = 'default') => service.importEntries(project, mediaTypes, entries)
  return { store, run }
}

/** A result as `ok <id>` or `<status-ish kind> <correlation>`, for order-sensitive comparisons. */
const summary = (results: ImportResult[]) =>
  results.map((r) =>
    r.ok
      ? `ok ${r.entry.id}`
      : `${r.failure.kind}${r.failure.kind === 'unique' ? `:${r.failure.field}` : ''} ${r.correlation}`,
  )

describe('import service (in-memory repository)', () => {
  it('answers entry by entry in request order, failures in their places', async () => {
    const { run } = setup()
    const results = await run([
      imageEntry({ id: 'a' }),
      imageEntry({ id: 'b', metadata: { title: 42 } }),
      imageEntry({ id: 'c', asset: undefined }),
      { externalId: 'only-ext', mediaType: 'image' },
      'not an object',
      imageEntry({ id: 'd' }),
    ])
    expect(summary(results)).toEqual([
      'ok a',
      'metadata id: b',
      'validation id: c',
      'validation externalId: only-ext',
      'validation index: 4',
      'ok d',
    ])
  })

  it('hands the repository one batch of the valid entries only, version 1, stamped with the clock', async () => {
    const { store, run } = setup()
    await run([
      imageEntry({ id: 'v1' }),
      imageEntry({ id: 'bad', mediaType: 'nope' }),
      imageEntry({ id: 'v2' }),
    ])
    expect(store.insertedBatches).toHaveLength(1)
    const [batch] = store.insertedBatches
    expect(batch!.map((e) => e.id)).toEqual(['v1', 'v2'])
    for (const entry of batch!) {
      expect(entry).toMatchObject({ version: 1, createdAt: NOW.toISOString(), updatedAt: NOW.toISOString() })
      expect(entry.searchText).toEqual(expect.any(String))
    }
  })

  it('inside one batch, the first of two entries with one id wins; the second fails as not unique', async () => {
    const { store, run } = setup()
    const results = await run([
      imageEntry({ id: 'same', metadata: { title: 'first' } }),
      imageEntry({ id: 'same', metadata: { title: 'second' } }),
    ])
    expect(summary(results)).toEqual(['ok same', 'unique:id id: same'])
    expect(store.stored('default', 'same')!.metadata.title).toBe('first')
    // The loser never reaches the repository: it would be a duplicate inside one multi-row insert.
    expect(store.insertedBatches[0]!.map((e) => e.id)).toEqual(['same'])
  })

  it('inside one batch, (systemName, externalId) is unique too, and only as a pair', async () => {
    const { store, run } = setup()
    const results = await run([
      imageEntry({ id: 'e1', systemName: 'wire', externalId: 'x-1' }),
      imageEntry({ id: 'e2', systemName: 'wire', externalId: 'x-1' }),
      imageEntry({ id: 'e3', systemName: 'archive', externalId: 'x-1' }),
    ])
    expect(summary(results)).toEqual(['ok e1', 'unique:externalId id: e2', 'ok e3'])
    expect(results[1]).toMatchObject({ failure: { kind: 'unique', field: 'externalId', value: 'x-1' } })
    expect(store.insertedBatches[0]!.map((e) => e.id)).toEqual(['e1', 'e3'])
  })

  it('an id or an external key already stored fails that entry alone, and keeps the stored entry', async () => {
    const { store, run } = setup()
    await run([imageEntry({ id: 'old', systemName: 'wire', externalId: 'kept', metadata: { title: 'Old' } })])
    const results = await run([
      imageEntry({ id: 'old', metadata: { title: 'New' } }),
      imageEntry({ id: 'fresh', systemName: 'wire', externalId: 'kept' }),
      imageEntry({ id: 'other' }),
    ])
    expect(summary(results)).toEqual(['unique:id id: old', 'unique:externalId id: fresh', 'ok other'])
    expect(store.stored('default', 'old')!.metadata.title).toBe('Old')
    expect(store.stored('default', 'fresh')).toBeUndefined()
  })

  it('gives entries without an id distinct generated ids, never one a sent entry of the batch has', async () => {
    const { store, run } = setup()
    const results = await run(Array.from({ length: 50 }, () => imageEntry({ id: undefined })))
    const ids = results.map((r) => (r.ok ? r.entry.id : 'failed'))
    expect(new Set(ids).size).toBe(50)
    expect(ids).not.toContain('failed')
    expect(store.count('default')).toBe(50)
  })

  it('an empty batch is an empty answer', async () => {
    const { run } = setup()
    expect(await run([])).toEqual([])
  })
})
