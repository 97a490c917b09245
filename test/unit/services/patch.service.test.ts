import { describe, expect, it } from 'vitest'
import { ConflictError, NotFoundError } from '../../../src/errors.js'
import { rejection } from '../../helpers/rejection.js'
import type { MediaEntry } from '../../../src/media/entry.js'
import {
  createPatchService,
  PatchRejectedError,
  type PatchRequest,
} from '../../../src/media/patch.service.js'
import { FakeMediaEntries } from '../../fakes/media-entries.fake.js'
import { realValidation } from '../../fakes/media-types.js'

const CREATED = '2026-11-01T00:00:00.000Z'
const { validator, mediaTypes } = realValidation()

function stored(overrides: Partial<MediaEntry> = {}): MediaEntry {
  return {
    id: 'e1',
    version: 1,
    mediaType: 'image',
    asset: {
      key: 'a/e1.jpg',
      url: 'https://cdn.example.com/a/e1.jpg',
      size: 10,
      width: 4,
      height: 3,
      filename: 'e1.jpg',
      mimeType: 'image/jpeg',
    },
    metadata: { title: 'Harbour' },
    createdAt: CREATED,
    updatedAt: CREATED,
    ...overrides,
  }
}

function setup(options: { trashDays?: number; entry?: MediaEntry } = {}) {
  let clock = new Date('2026-12-01T10:00:00.000Z')
  const store = new FakeMediaEntries()
  store.seed('default', options.entry ?? stored())
  const service = createPatchService({
    entries: store.repository,
    validator,
    mediaTypesOf: async () => mediaTypes,
    now: () => clock,
    ...(options.trashDays === undefined ? {} : { trashDays: options.trashDays }),
  })
  return {
    store,
    patch: (request: PatchRequest, id = 'e1') => service.patch('default', id, request),
    advance(ms: number) {
      clock = new Date(clock.getTime() + ms)
    },
  }
}

const setTitle = (value: unknown) => ({
  operation: 'setMetadataProperty' as const,
  propertyName: 'title',
  value,
})

describe('patch service (in-memory repository)', () => {
  it('applies every patch, bumps the version once and stamps updatedAt (kept when asked)', async () => {
    const { store, patch } = setup()
    const next = await patch({ patches: [setTitle('One'), setTitle('Two'), { operation: 'archive' }] })
    expect(next).toMatchObject({
      version: 2,
      metadata: { title: 'Two' },
      updatedAt: '2026-12-01T10:00:00.000Z',
    })
    expect(next.archivedAt).toBe('2026-12-01T10:00:00.000Z')
    expect(store.stored('default', 'e1')).toMatchObject({ version: 2, metadata: { title: 'Two' } })
    const kept = await patch({ patches: [setTitle('Three')], preserveUpdatedAt: true })
    expect(kept).toMatchObject({ version: 3, updatedAt: '2026-12-01T10:00:00.000Z' })
  })

  it('a pinned version that is not the stored one is a 409, and nothing is written', async () => {
    const { store, patch } = setup()
    const err = await patch({ version: 7, patches: [setTitle('Nope')] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConflictError)
    expect((err as ConflictError).status).toBe(409)
    expect(store.stored('default', 'e1')).toMatchObject({ version: 1, metadata: { title: 'Harbour' } })
  })

  it('all or none: a later patch that cannot apply leaves the earlier ones unwritten', async () => {
    const { store, patch } = setup()
    await expect(patch({ patches: [setTitle('Changed'), { operation: 'unrevokeAsset' }] })).rejects.toThrow(
      ConflictError,
    )
    expect(store.stored('default', 'e1')).toMatchObject({ version: 1, metadata: { title: 'Harbour' } })
  })

  it('a result that breaks the media type is refused with the validator failure, and not written', async () => {
    const { store, patch } = setup()
    const err = await patch({ patches: [setTitle(42)] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PatchRejectedError)
    expect((err as PatchRejectedError).failure.kind).toBe('metadata')
    expect(store.stored('default', 'e1')!.version).toBe(1)
  })

  it('a write that lost a race reads again and applies the patches to the newer entry', async () => {
    const { store, patch } = setup()
    let raced = false
    store.beforeWrite = () => {
      if (raced) return
      raced = true
      store.seed(
        'default',
        stored({ version: 2, metadata: { title: 'Harbour', caption: 'by another writer' } }),
      )
    }
    const next = await patch({ patches: [setTitle('Mine')] })
    expect(next).toMatchObject({ version: 3, metadata: { title: 'Mine', caption: 'by another writer' } })
  })

  it('a lost race under a pinned version is a 409 (the client must see the other write first)', async () => {
    const { store, patch } = setup()
    store.beforeWrite = () =>
      store.seed('default', stored({ version: store.stored('default', 'e1')!.version + 1 }))
    const err = await rejection(patch({ version: 1, patches: [setTitle('Mine')] }))
    expect(err).toBeInstanceOf(ConflictError)
    expect(err.details).toEqual({ name: 'Conflict', message: 'Version: Expected 2 to be equal to 1' })
  })

  it('gives up after a bounded number of lost races instead of spinning', async () => {
    const { store, patch } = setup()
    let writes = 0
    store.beforeWrite = () => {
      writes++
      store.seed('default', stored({ version: store.stored('default', 'e1')!.version + 1 }))
    }
    const err = await rejection(patch({ patches: [setTitle('Mine')] }))
    expect(err.status).toBe(409)
    expect(err.details?.message).toMatch(/changed while it was being patched/)
    expect(writes).toBe(5)
  })

  it('a trashed entry is not found, except by a restore within the trash time', async () => {
    const { store, patch } = setup({
      trashDays: 2,
      entry: stored({ deletedAt: '2026-12-01T09:00:00.000Z' }),
    })
    await expect(patch({ patches: [setTitle('x')] })).rejects.toThrow(NotFoundError)
    const restored = await patch({ patches: [{ operation: 'restore' }] })
    expect(restored.deletedAt).toBeUndefined()
    expect(store.stored('default', 'e1')!.deletedAt).toBeUndefined()

    const late = setup({ trashDays: 2, entry: stored({ deletedAt: '2026-12-01T09:00:00.000Z' }) })
    late.advance(2 * 86_400_000)
    await expect(late.patch({ patches: [{ operation: 'restore' }] })).rejects.toThrow(NotFoundError)
  })

  it('an unknown id is a 404 naming the id', async () => {
    const { patch } = setup()
    const err = await rejection(patch({ patches: [setTitle('x')] }, 'missing'))
    expect(err).toBeInstanceOf(NotFoundError)
    expect(err.details?.message).toBe("MediaLibrary Entry does not exist (id: 'missing')")
  })
})
