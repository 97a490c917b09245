import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import S3rver from 's3rver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidKeyError, newBlobKey, type BlobStore } from '../../src/storage/blob-store.js'
import { createDiskBlobStore } from '../../src/storage/disk-blob-store.js'
import { createS3BlobStore } from '../../src/storage/s3-blob-store.js'

const PART = 5 * 1024 * 1024
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
/** A stream that yields the buffer in small chunks, as a download would. */
const chunked = (b: Buffer, size = 64 * 1024) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size)
    })(),
  )

interface StoreUnderTest {
  store: BlobStore
  close(): Promise<void>
  /** Files the store left outside its keys (temporary files), if it can tell. */
  leftovers(): string[]
}

async function diskStore(): Promise<StoreUnderTest> {
  const root = mkdtempSync(path.join(tmpdir(), 'medialib-blobs-'))
  return {
    store: createDiskBlobStore(root),
    close: async () => rmSync(root, { recursive: true, force: true }),
    leftovers: () => {
      try {
        return readdirSync(path.join(root, '.tmp'))
      } catch {
        return []
      }
    },
  }
}

async function s3Store(): Promise<StoreUnderTest> {
  const directory = mkdtempSync(path.join(tmpdir(), 'medialib-s3rver-'))
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: 'medialib-test', configs: [] }],
  })
  const { port } = await server.run()
  const store = createS3BlobStore({
    bucket: 'medialib-test',
    prefix: 'lib/',
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    partSizeBytes: PART,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  return {
    store,
    close: async () => {
      store.client.destroy()
      await server.close()
      rmSync(directory, { recursive: true, force: true })
    },
    leftovers: () => [],
  }
}

describe.each([
  ['disk', diskStore],
  ['s3 (s3rver on 127.0.0.1)', s3Store],
])('BlobStore contract: %s', (_name, make) => {
  let t: StoreUnderTest
  beforeAll(async () => {
    t = await make()
  })
  afterAll(async () => {
    await t.close()
  })

  it('puts a stream and gets the same bytes back, with stat', async () => {
    const bytes = randomBytes(300_000)
    const key = newBlobKey('jpeg', new Date('2026-11-28T10:00:00Z'))
    expect(key).toMatch(/^2026\/11\/28\/[0-9a-f-]{36}\.jpeg$/)
    const put = await t.store.put(key, chunked(bytes), { contentType: 'image/jpeg' })
    expect(put.size).toBe(bytes.length)
    expect(put.etag).toMatch(/^".+"$/)
    const got = await buffer((await t.store.get(key))!)
    expect(sha(got)).toBe(sha(bytes))
    const stat = await t.store.stat(key)
    expect(stat).toMatchObject({ key, size: bytes.length, etag: put.etag })
    expect(stat!.lastModified).toBeInstanceOf(Date)
  })

  it('reads a whole blob in one Buffer (read), undefined for a missing key', async () => {
    const bytes = randomBytes(300_000)
    await t.store.put('read/whole.bin', chunked(bytes))
    const read = t.store.read?.bind(t.store)
    expect(read).toBeDefined()
    expect(sha((await read!('read/whole.bin'))!)).toBe(sha(bytes))
    await t.store.put('read/empty.bin', Readable.from([]))
    expect((await read!('read/empty.bin'))?.length).toBe(0)
    expect(await read!('read/missing.bin')).toBeUndefined()
    expect(await read!('read')).toBeUndefined()
  })

  it('names the local file of a blob where the store keeps files (disk), nothing for a missing key', async () => {
    const bytes = randomBytes(50_000)
    await t.store.put('local/photo.bin', chunked(bytes))
    if (_name !== 'disk') {
      // An S3 blob is no local file: callers read its bytes instead.
      expect(t.store.localFile).toBeUndefined()
      return
    }
    const file = await t.store.localFile!('local/photo.bin')
    expect(file).toBeDefined()
    expect(sha(readFileSync(file!))).toBe(sha(bytes))
    expect(await t.store.localFile!('local/missing.bin')).toBeUndefined()
    expect(await t.store.localFile!('local')).toBeUndefined()
    await expect(t.store.localFile!('../outside')).rejects.toThrow()
  })

  it('gets an inclusive byte range', async () => {
    const bytes = randomBytes(10_000)
    await t.store.put('range/a.bin', chunked(bytes, 999))
    const part = await buffer((await t.store.get('range/a.bin', { start: 100, end: 199 }))!)
    expect(part.equals(bytes.subarray(100, 200))).toBe(true)
    const tail = await buffer((await t.store.get('range/a.bin', { start: 9_990, end: 9_999 }))!)
    expect(tail.equals(bytes.subarray(9_990))).toBe(true)
  })

  it('stores an empty blob', async () => {
    await t.store.put('empty/zero.bin', Readable.from([]))
    expect((await t.store.stat('empty/zero.bin'))?.size).toBe(0)
    expect((await buffer((await t.store.get('empty/zero.bin'))!)).length).toBe(0)
  })

  it('stores a blob larger than a part (multipart on S3) intact', async () => {
    const bytes = randomBytes(PART * 2 + 12_345)
    await t.store.put('big/blob.bin', chunked(bytes, 256 * 1024))
    expect((await t.store.stat('big/blob.bin'))?.size).toBe(bytes.length)
    expect(sha(await buffer((await t.store.get('big/blob.bin'))!))).toBe(sha(bytes))
  })

  it('replaces a blob on a second put', async () => {
    await t.store.put('replace/x.txt', Readable.from([Buffer.from('first version')]))
    await t.store.put('replace/x.txt', Readable.from([Buffer.from('second')]))
    expect((await buffer((await t.store.get('replace/x.txt'))!)).toString()).toBe('second')
  })

  it('answers undefined for a missing key and deletes idempotently', async () => {
    expect(await t.store.get('missing/nothing.png')).toBeUndefined()
    expect(await t.store.stat('missing/nothing.png')).toBeUndefined()
    await t.store.put('del/y.txt', Readable.from([Buffer.from('y')]))
    await t.store.delete('del/y.txt')
    expect(await t.store.stat('del/y.txt')).toBeUndefined()
    await t.store.delete('del/y.txt')
  })

  it('lists keys by prefix, sorted', async () => {
    for (const k of ['list/b/2.txt', 'list/a/1.txt', 'list/b/1.txt', 'listing/other.txt']) {
      await t.store.put(k, Readable.from([Buffer.from(k)]))
    }
    expect(await t.store.list('list/')).toEqual(['list/a/1.txt', 'list/b/1.txt', 'list/b/2.txt'])
    expect(await t.store.list('list/b/')).toEqual(['list/b/1.txt', 'list/b/2.txt'])
    expect(await t.store.list('nothing-here/')).toEqual([])
  })

  it('refuses keys that could escape the store', async () => {
    for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', 'a/./b', 'a\\b', 'a//b', 'a/', 'a\u0000b']) {
      await expect(t.store.put(bad, Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(
        InvalidKeyError,
      )
      await expect(t.store.get(bad)).rejects.toBeInstanceOf(InvalidKeyError)
    }
  })

  it('leaves nothing behind when the source stream fails mid-way', async () => {
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(1000)
        throw new Error('connection reset')
      })(),
    )
    await expect(t.store.put('fail/half.bin', failing)).rejects.toThrow('connection reset')
    expect(await t.store.stat('fail/half.bin')).toBeUndefined()
    expect(t.leftovers()).toEqual([])
  })
})
