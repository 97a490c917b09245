import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import { DIALECTS } from '../helpers/dialects.js'
import { startStorage, STORAGES, type TestStorage } from '../helpers/s3.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { sha256Of, tusUpload, writeRandomFile } from '../helpers/tus.js'

const CASES = DIALECTS.flatMap((dialect) => STORAGES.map((store) => [dialect, store] as const))
const MB = 1024 * 1024
const BIG = 200 * MB

const MEDIA_TYPES = [
  { handle: 'image', type: 'mediaImage', metadata: [{ handle: 'title', type: 'li-text' }] },
  {
    handle: 'file',
    type: 'mediaFile',
    metadata: [{ handle: 'title', type: 'li-text' }],
    uploadRestrictions: { maxFileSize: '300mb' },
  },
]

/** Resumable uploads (issue #18): a 200 MB file stopped mid-way and resumed; refusals; expiry; quota. */
describe.each(CASES)('tus upload (%s, %s storage)', (dialect, store) => {
  let server: TestServer
  let storage: TestStorage
  let token: string
  let other: string
  let file: string
  let fileSha: string

  beforeAll(async () => {
    storage = await startStorage(store)
    server = await startTestServer(dialect, storage.config, { listen: true })
    await server.deps.projects.create('tus', MEDIA_TYPES as never)
    token = await server.createToken('tus', ['public-api:read', 'public-api:write'])
    other = await server.createToken('elsewhere', ['public-api:read', 'public-api:write'])
    file = path.join(server.db.dataDir, 'big.bin')
    fileSha = await writeRandomFile(file, BIG)
  })
  afterAll(async () => {
    await server?.close()
    await storage?.close()
  })

  const endpoint = () => `${server.baseUrl}/api/v1/uploads`
  const head = (url: string, auth = token) =>
    fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${auth}`, 'tus-resumable': '1.0.0' } })
  const get = (p: string) => fetch(`${server.baseUrl}${p}`, { headers: { authorization: `Bearer ${token}` } })

  it('resumes a 200 MB upload the client stopped mid-way; the entry and blob match byte for byte', async () => {
    const first = await tusUpload(endpoint(), token, file, {
      stopAfter: 60 * MB,
      metadata: { filename: 'big.bin', mediaType: 'file', metadata: JSON.stringify({ title: 'Big' }) },
    })
    expect(first.aborted).toBe(true)
    const state = await head(first.url!)
    expect(state.status).toBe(200)
    const offset = Number(state.headers.get('upload-offset'))
    expect(offset).toBeGreaterThanOrEqual(60 * MB)
    expect(offset).toBeLessThan(BIG)
    // Another project cannot see the upload.
    expect((await head(first.url!, other)).status).toBe(404)

    const done = await tusUpload(endpoint(), token, file, {
      uploadUrl: first.url!,
      metadata: { filename: 'big.bin', mediaType: 'file', metadata: JSON.stringify({ title: 'Big' }) },
    })
    expect(done.error).toBeUndefined()
    expect(done.entryId).toMatch(/^[a-zA-Z0-9-]+$/)
    const entry = (await (await get(`/api/v1/mediaLibrary/${done.entryId}`)).json()) as {
      asset: { key: string; size: number; filename: string }
      metadata: { title: string }
    }
    expect(entry.asset).toMatchObject({ size: BIG, filename: 'big.bin' })
    expect(entry.metadata.title).toBe('Big')
    const served = await get(`/api/v1/mediaLibrary/serve-image/${entry.asset.key}`)
    expect(served.status).toBe(200)
    expect(await sha256Of(served.body)).toBe(fileSha)
    // The finished upload is gone from the tus store and from the uploads in flight.
    expect((await head(first.url!)).status).toBe(404)
  }, 240_000)

  it('refuses at creation what the media type does not allow, with the import error body', async () => {
    const res = await fetch(endpoint(), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'tus-resumable': '1.0.0',
        'upload-length': String(400 * MB),
        'upload-metadata': `filename ${Buffer.from('x.bin').toString('base64')},mediaType ${Buffer.from('file').toString('base64')}`,
      },
    })
    expect(res.status).toBe(413)
    expect(JSON.parse(await res.text())).toMatchObject({
      status: 413,
      error: 'UploadRestriction',
      error_details: { restriction: 'maxFileSize' },
    })
  })

  it('reports a refusal of the finished file in the final PATCH (sniffed type)', async () => {
    const small = path.join(server.db.dataDir, 'small.bin')
    await writeRandomFile(small, 64 * 1024)
    const out = await tusUpload(endpoint(), token, small, {
      metadata: { filename: 'x.png', mediaType: 'image' },
    })
    expect(out.error?.status).toBe(400)
    expect(JSON.parse(out.error!.body!)).toMatchObject({ status: 400, error: 'ValidationError' })
  })

  it('removes an expired upload in the worker’s cleanup', async () => {
    const partial = await tusUpload(endpoint(), token, file, { stopAfter: 8 * MB })
    expect(partial.aborted).toBe(true)
    const id = partial.url!.split('/').pop()!
    const tusDir = path.join(server.db.dataDir, 'uploads', 'tus')
    expect(readdirSync(tusDir)).toContain(id)
    // Nothing has expired yet.
    await server.deps.cleanUpUploads()
    expect((await head(partial.url!)).status).toBe(200)
    const removed = await server.deps.cleanUpUploads(new Date(Date.now() + 25 * 60 * 60_000))
    expect(removed).toBeGreaterThanOrEqual(1)
    expect(existsSync(path.join(tusDir, id))).toBe(false)
    expect((await head(partial.url!)).status).toBe(404)
  })
})

/** The per-project quota of declared bytes in unfinished uploads; terminating an upload frees its share. */
describe.each(DIALECTS)('tus quota of bytes in flight (%s)', (dialect) => {
  let server: TestServer
  let token: string

  beforeAll(async () => {
    server = await startTestServer(
      dialect,
      { upload: { ...DEFAULT_CONFIG.upload, tusBytesInFlightPerProject: MB } },
      { listen: true },
    )
    token = server.token
  })
  afterAll(async () => {
    await server?.close()
  })

  const create = (bytes: number) =>
    fetch(`${server.baseUrl}/api/v1/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'tus-resumable': '1.0.0',
        'upload-length': String(bytes),
        'upload-metadata': `filename ${Buffer.from('q.bin').toString('base64')},mediaType ${Buffer.from('file').toString('base64')}`,
      },
    })

  it('refuses a creation past the quota with 413 UploadQuota, and frees it on termination', async () => {
    const first = await create(600 * 1024)
    expect(first.status).toBe(201)
    const { url } = (await first.json()) as { url: string }
    const second = await create(600 * 1024)
    expect(second.status).toBe(413)
    expect(await second.json()).toMatchObject({ status: 413, error: 'UploadQuota' })
    const gone = await fetch(`${server.baseUrl}${url}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' },
    })
    expect(gone.status).toBe(204)
    // The termination's row removal runs after the answer: give it a moment.
    await new Promise((r) => setTimeout(r, 200))
    expect((await create(600 * 1024)).status).toBe(201)
  })
})
