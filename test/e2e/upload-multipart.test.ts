import { createHash, randomBytes } from 'node:crypto'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage, makePdf } from '../helpers/media-server.js'
import { startStorage, STORAGES, type TestStorage } from '../helpers/s3.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

const CASES = DIALECTS.flatMap((dialect) => STORAGES.map((store) => [dialect, store] as const))

const MEDIA_TYPES = [
  {
    handle: 'image',
    type: 'mediaImage',
    metadata: [{ handle: 'title', type: 'li-text' }],
    uploadRestrictions: { maxFileSize: '20kb', allowedMimeTypes: ['image/png', 'image/jpeg'] },
  },
  {
    handle: 'document',
    type: 'mediaFile',
    metadata: [{ handle: 'title', type: 'li-text', config: { required: true } }],
    uploadRestrictions: { maxFileSize: '1mb', allowedMimeTypes: ['application/pdf'] },
  },
]

type Result = {
  ok: boolean
  status: number
  id?: string
  duplicate?: boolean
  correlation?: string
  error?: string
  error_details?: Record<string, unknown>
  record?: {
    id: string
    version: number
    asset: { key: string; size: number; mimeType: string }
    metadata: Record<string, unknown>
  }
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const servePath = (key: string) =>
  `/api/v1/mediaLibrary/serve-image/${key.split('/').map(encodeURIComponent).join('/')}`

/** Multipart uploads (issue #18): several files, each with its own result; restrictions; duplicates; replace. */
describe.each(CASES)('multipart upload (%s, %s storage)', (dialect, store) => {
  let server: TestServer
  let storage: TestStorage
  let token: string
  let readOnly: string
  let png: Buffer
  let bigJpeg: Buffer
  let gif: Buffer

  beforeAll(async () => {
    storage = await startStorage(store)
    server = await startTestServer(dialect, storage.config, { listen: true })
    await server.deps.projects.create('up', MEDIA_TYPES as never)
    token = await server.createToken('up', ['public-api:read', 'public-api:write'])
    readOnly = await server.createToken('up', ['public-api:read'])
    png = await makeImage('png', 40, 30, [10, 200, 30])
    // Noise does not compress: well over the image type's 20 KB.
    bigJpeg = await sharp(randomBytes(300 * 300 * 3), { raw: { width: 300, height: 300, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer()
    gif = await makeImage('gif', 20, 20)
  })
  afterAll(async () => {
    await server?.close()
    await storage?.close()
  })

  const upload = async (
    parts: ([string, string] | [string, Buffer, string])[],
    options: { version?: string; auth?: string } = {},
  ) => {
    const form = new FormData()
    for (const part of parts) {
      if (part.length === 2) form.append(part[0], part[1])
      else form.append(part[0], new Blob([new Uint8Array(part[1])]), part[2])
    }
    const res = await fetch(`${server.baseUrl}/api/${options.version ?? 'v1'}/mediaLibrary/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.auth ?? token}` },
      body: form,
    })
    const body = (await res.json()) as Record<string, Result[]>
    return { status: res.status, body, results: body.mediaLibraryEntries ?? body.results ?? [] }
  }
  const get = async (path: string) =>
    fetch(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })

  it('answers one result per file: stored, too large, forbidden type, duplicate', async () => {
    const { status, results } = await upload([
      ['metadata', JSON.stringify({ title: 'Green' })],
      ['file', png, 'green.png'],
      ['file', bigJpeg, 'noise.jpg'],
      ['file', gif, 'tiny.gif'],
      ['file', png, 'again.png'],
    ])
    expect(status).toBe(200)
    expect(results).toHaveLength(4)
    const [stored, tooLarge, forbidden, duplicate] = results as [Result, Result, Result, Result]
    expect(stored).toMatchObject({ ok: true, status: 200 })
    expect(stored.record).toMatchObject({
      asset: { size: png.length, mimeType: 'image/png', filename: 'green.png', width: 40, height: 30 },
      metadata: { title: 'Green' },
    })
    expect(tooLarge).toMatchObject({
      ok: false,
      status: 413,
      error: 'UploadRestriction',
      correlation: 'index: 1',
      error_details: { restriction: 'maxFileSize' },
    })
    expect(tooLarge.error_details?.message).toContain("uploadRestrictions.maxFileSize of media type 'image'")
    expect(forbidden).toMatchObject({
      ok: false,
      status: 415,
      error: 'UploadRestriction',
      error_details: { restriction: 'allowedMimeTypes' },
    })
    expect(forbidden.error_details?.message).toContain('image/gif')
    expect(duplicate).toMatchObject({ ok: true, status: 200, duplicate: true, id: stored.id })

    // The stored bytes are the uploaded ones, served passively from the project's namespace.
    const served = await get(servePath(stored.record!.asset.key))
    expect(served.status).toBe(200)
    expect(served.headers.get('x-content-type-options')).toBe('nosniff')
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true)
    // Nothing else was written: one entry in the project.
    const list = (await (await get('/api/v1/mediaLibrary?limit=100')).json()) as {
      mediaLibraryEntries: unknown[]
    }
    expect(list.mediaLibraryEntries).toHaveLength(1)
  })

  it('stores the files of one request together; an entry the import refuses leaves no blob', async () => {
    const files = await Promise.all([1, 2, 3].map((n) => makeImage('jpeg', 16 + n, 16, [n * 40, 10, 10])))
    const blobs = server.deps.blobs.files('up')
    const before = await blobs.list('')
    const { results } = await upload([
      ['systemName', 'together'],
      ['externalId', 'one'],
      ['file', files[0]!, 'one.jpg'],
      ['externalId', 'two'],
      ['file', files[1]!, 'two.jpg'],
      // Taken by the first file of this very request.
      ['externalId', 'one'],
      ['file', files[2]!, 'three.jpg'],
    ])
    expect(results.map((r) => r.ok)).toEqual([true, true, false])
    expect(results[2]).toMatchObject({ status: 409, error: 'UniqueIdViolation' })
    // Two blobs more, each served with its own bytes; the refused file's bytes were removed again.
    const after = await blobs.list('')
    expect(after.length - before.length).toBe(2)
    for (const [i, result] of results.slice(0, 2).entries()) {
      const served = await get(servePath(result.record!.asset.key))
      expect(Buffer.from(await served.arrayBuffer()).equals(files[i]!)).toBe(true)
    }
  })

  it('takes the sniffed type, not the claimed one, and checks metadata per file', async () => {
    const pdf = makePdf('hello upload')
    const { results } = await upload([
      ['mediaType', 'document'],
      ['file', pdf, 'claims-to-be.png'],
      ['metadata', JSON.stringify({ title: 'Report' })],
      ['file', makePdf('second'), 'report.pdf'],
      ['file', png, 'not-a-pdf.pdf'],
    ])
    expect(results[0]).toMatchObject({ ok: false, status: 400, error: 'MetadataValidationErrors' })
    expect(results[1]).toMatchObject({ ok: true, record: { asset: { mimeType: 'application/pdf' } } })
    expect(results[2]).toMatchObject({
      ok: false,
      status: 415,
      error_details: { restriction: 'allowedMimeTypes' },
    })
  })

  it('follows the duplicate policy: reject names the existing entry, allow creates another', async () => {
    const jpeg = await makeImage('jpeg', 30, 30, [1, 2, 3])
    const first = (await upload([['file', jpeg, 'a.jpg']])).results[0]!
    expect(first.ok).toBe(true)
    await server.deps.uploads.setDuplicatePolicy('up', 'reject')
    const rejected = (await upload([['file', jpeg, 'b.jpg']])).results[0]!
    expect(rejected).toMatchObject({
      ok: false,
      status: 409,
      error: 'DuplicateFile',
      error_details: { existingId: first.id },
    })
    await server.deps.uploads.setDuplicatePolicy('up', 'allow')
    const allowed = (await upload([['file', jpeg, 'c.jpg']])).results[0]!
    expect(allowed.ok).toBe(true)
    expect(allowed.id).not.toBe(first.id)
    await server.deps.uploads.setDuplicatePolicy('up', 'skip')

    // The CLI's bulk question: which of these hashes the project holds.
    const res = await fetch(`${server.baseUrl}/api/v1/mediaLibrary/knownHashes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${readOnly}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sha256: [sha(jpeg), sha(Buffer.from('nothing'))] }),
    })
    expect(res.status).toBe(200)
    const { known } = (await res.json()) as { known: Record<string, string> }
    expect(Object.keys(known)).toEqual([sha(jpeg)])
    expect([first.id, allowed.id]).toContain(known[sha(jpeg)])
  })

  it('replaces the file of an entry with the version check; the old key stays listed', async () => {
    const before = (await upload([['file', await makeImage('png', 10, 10, [9, 9, 9]), 'v1.png']])).results[0]!
    const next = await makeImage('png', 12, 12, [99, 9, 9])
    const stale = await upload([
      ['entryId', before.id!],
      ['version', '7'],
      ['file', next, 'v2.png'],
    ])
    expect(stale.results[0]).toMatchObject({ ok: false, status: 409 })
    const replaced = await upload(
      [
        ['entryId', before.id!],
        ['version', '1'],
        ['file', next, 'v2.png'],
      ],
      { version: '2026-03' },
    )
    expect(replaced.results[0]).toMatchObject({
      ok: true,
      id: before.id,
      record: { version: 2, asset: { width: 12, height: 12 } },
    })
    const keys = (await (await get(`/api/2026-03/mediaLibrary/${before.id}/keys`)).json()) as {
      results: string[]
    }
    expect(keys.results).toEqual(
      expect.arrayContaining([before.record!.asset.key, replaced.results[0]!.record!.asset.key]),
    )
    const missing = await upload([
      ['entryId', 'nope'],
      ['file', next, 'x.png'],
    ])
    expect(missing.results[0]).toMatchObject({ ok: false, status: 404 })
  })

  it('refuses a token without public-api:write, a body that is not multipart, and a form without files', async () => {
    expect((await upload([['file', png, 'a.png']], { auth: readOnly })).status).toBe(403)
    const json = await fetch(`${server.baseUrl}/api/v1/mediaLibrary/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(json.status).toBe(415)
    expect((await upload([['mediaType', 'image']])).status).toBe(400)
    const bad = await upload([
      ['metadata', '[1]'],
      ['file', png, 'a.png'],
      ['bogus', 'x'],
      ['file', png, 'b.png'],
    ])
    expect(bad.results.map((r) => r.status)).toEqual([400, 400])
  })
})
