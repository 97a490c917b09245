import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MediaEntry } from '../../src/media/entry.js'
import { createThumbnailService, negotiateFormat, variantKey } from '../../src/media/thumbnail.service.js'
import { createDiskBlobStore } from '../../src/storage/disk-blob-store.js'
import { createProjectStorage, layoutOf, type ProjectStorage } from '../../src/storage/project-storage.js'
import type { BlobStore } from '../../src/storage/blob-store.js'

function imageEntry(key: string, mimeType = 'image/jpeg'): MediaEntry {
  return {
    id: key.replaceAll('/', '-'),
    version: 1,
    mediaType: 'image',
    asset: { key, url: `http://x/${key}`, size: 1, filename: 'a.jpg', mimeType },
    metadata: {},
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  }
}

describe('negotiateFormat', () => {
  it.each([
    ['image/avif,image/webp,image/apng,image/*,*/*;q=0.8', 'webp'],
    ['image/avif,image/*;q=0.8', 'avif'],
    ['image/webp;q=0, image/avif', 'avif'],
    ['image/*', 'jpeg'],
    [undefined, 'jpeg'],
  ])('%s → %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format)
  })
})

describe('thumbnail service over the disk blob store', () => {
  let root: string
  let blobs: BlobStore
  let derived: BlobStore
  let storage: ProjectStorage
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'medialib-thumbs-'))
    storage = createProjectStorage(createDiskBlobStore(root), layoutOf('{project}/'))
    blobs = storage.files('p')
    derived = storage.derived('p')
    const original = await sharp({
      create: { width: 2000, height: 1000, channels: 3, background: '#3366cc' },
    })
      .jpeg()
      .toBuffer()
    await blobs.put('2026/01/01/big.jpg', Readable.from([original]))
    const small = await sharp({ create: { width: 100, height: 80, channels: 3, background: '#cc3333' } })
      .png()
      .toBuffer()
    await blobs.put('2026/01/01/small.png', Readable.from([small]))
    await blobs.put('2026/01/01/broken.jpg', Readable.from([Buffer.from('not an image at all')]))
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('resizes on demand in the negotiated format, caches the variant in the derived namespace, and reads it back', async () => {
    let encodes = 0
    const counting: ProjectStorage = {
      files: (project) => storage.files(project),
      derived: (project) => ({
        ...storage.derived(project),
        put: async (key, body, options) => {
          encodes++
          return storage.derived(project).put(key, body, options)
        },
      }),
    }
    const service = createThumbnailService({ blobs: counting })
    const entry = imageEntry('2026/01/01/big.jpg')
    expect(await derived.list('')).toEqual([])
    const [a, b] = await Promise.all([
      service.get('p', entry, 320, 'image/webp'),
      service.get('p', entry, 320, 'image/webp'),
    ])
    expect(encodes).toBe(1)
    expect(a.body.equals(b.body)).toBe(true)
    expect(a.contentType).toBe('image/webp')
    expect(await sharp(a.body).metadata()).toMatchObject({ format: 'webp', width: 320, height: 160 })
    expect(await derived.list('')).toEqual([variantKey('2026/01/01/big.jpg', 320, 'webp')])

    const again = await service.get('p', entry, 320, 'image/webp')
    expect(encodes).toBe(1)
    expect(again.etag).toBe(a.etag)

    const jpeg = await service.get('p', entry, 160, '*/*')
    expect(await sharp(jpeg.body).metadata()).toMatchObject({ format: 'jpeg', width: 160 })
    const avif = await service.get('p', entry, 160, 'image/avif')
    expect(avif.contentType).toBe('image/avif')
    expect((await sharp(avif.body).metadata()).format).toBe('heif')
    expect(new Set([a.etag, jpeg.etag, avif.etag]).size).toBe(3)
  })

  it('never enlarges, and refuses non-images, missing originals and undecodable bytes in 4xx', async () => {
    const service = createThumbnailService({ blobs: storage })
    const small = await service.get('p', imageEntry('2026/01/01/small.png', 'image/png'), 640, 'image/webp')
    expect(await sharp(small.body).metadata()).toMatchObject({ width: 100, height: 80 })
    await expect(
      service.get('p', imageEntry('2026/01/01/x.pdf', 'application/pdf'), 320, ''),
    ).rejects.toMatchObject({
      status: 404,
    })
    await expect(service.get('p', imageEntry('2026/01/01/missing.jpg'), 320, '')).rejects.toMatchObject({
      status: 404,
    })
    await expect(service.get('p', imageEntry('2026/01/01/broken.jpg'), 320, '')).rejects.toMatchObject({
      status: 422,
    })
    expect((await derived.list('')).filter((k) => k.includes('broken'))).toEqual([])
  })
})
