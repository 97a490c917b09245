import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.js'
import { keyProblem } from '../../src/storage/key.js'
import { createS3BlobStore } from '../../src/storage/s3-blob-store.js'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage, startMediaServer, urlImportConfig, type MediaServer } from '../helpers/media-server.js'
import { startS3 } from '../helpers/s3.js'
import { importOneByUrl, startProjectsServer, type ProjectsServer } from '../helpers/projects-server.js'
import { request, type TestServer } from '../helpers/server.js'

const STORES = ['disk', 's3'] as const
const CASES = DIALECTS.flatMap((dialect) => STORES.map((store) => [dialect, store] as const))

const servePath = (key: string) =>
  `/api/v1/mediaLibrary/serve-image/${key.split('/').map(encodeURIComponent).join('/')}`

/**
 * Per-project storage namespaces and the one key grammar (#13, findings 2, 3 and the key half of 7):
 * nothing a client of one project sends reaches another project's bytes or thumbnails; every relative key,
 * `v/…` included, is the client's; whatever import accepts, the store holds and serves, never a 500.
 */
describe.each(CASES)('storage namespaces and keys (%s, %s storage)', (dialect, store) => {
  let server: TestServer
  let running: ProjectsServer
  let media: MediaServer
  let s3: Awaited<ReturnType<typeof startS3>> | undefined
  let png: Buffer
  let tokens: Record<string, string> = {}
  let seq = 0

  beforeAll(async () => {
    media = await startMediaServer()
    png = await makeImage('png', 40, 30, [10, 200, 30])
    media.routes.set('/a.png', { body: png, type: 'image/png' })
    const storage: Partial<Config> = {}
    if (store === 's3') {
      s3 = await startS3()
      storage.storage = s3.storage
    }
    running = await startProjectsServer(dialect, { ...urlImportConfig(), ...storage }, [
      'alpha',
      'beta',
      'gamma',
    ])
    ;({ server, tokens } = running)
  })
  afterAll(async () => {
    await running?.close()
    await media?.close()
    await s3?.close()
  })

  const api = (project: string, method: string, url: string, body?: unknown) =>
    request(server, method, url, { token: tokens[project], ...(body === undefined ? {} : { body }) })
  const raw = (project: string, url: string) =>
    server.fetch(`${url}`, { headers: { authorization: `Bearer ${tokens[project]}` } })
  const assetOf = (key: string, bytes = png) => ({
    key,
    // Not built from the key: the reference's URL pattern refuses quotes, which keys may hold.
    url: `https://cdn.example.test/asset-${key.length}.png`,
    size: bytes.length,
    width: 40,
    height: 30,
    filename: 'x.png',
    mimeType: 'image/png',
  })
  const importEntry = async (project: string, key: string) => {
    const id = `e${++seq}`
    const res = await api(project, 'POST', '/api/v1/import/mediaLibrary', {
      mediaLibraryEntries: [{ id, mediaType: 'image', asset: assetOf(key), metadata: {} }],
    })
    expect(res.status).toBe(200)
    return {
      id,
      result: (res.body as { mediaLibraryEntries: Record<string, unknown>[] }).mediaLibraryEntries[0]!,
    }
  }

  it("project beta cannot reach alpha's bytes or thumbnails by naming alpha's key, also after alpha revokes", async () => {
    const { id: entryId, key } = await importOneByUrl(server, tokens.alpha!, media.url('/a.png'))
    const own = await raw('alpha', servePath(key))
    expect(own.status).toBe(200)
    expect(Buffer.from(await own.arrayBuffer()).equals(png)).toBe(true)
    expect((await raw('alpha', `/api/v1/mediaLibrary/${entryId}/thumbnail?w=160`)).status).toBe(200)

    // Beta imports an entry naming alpha's key (the import itself is allowed: keys are per project).
    const stolen = await importEntry('beta', key)
    expect(stolen.result).toMatchObject({ ok: true })
    const served = await raw('beta', servePath(key))
    expect(served.status).toBe(404)
    expect(Buffer.from(await served.arrayBuffer()).includes(png.subarray(0, 16))).toBe(false)
    expect((await raw('beta', `/api/v1/mediaLibrary/${stolen.id}/thumbnail?w=160`)).status).toBe(404)
    expect(await server.deps.blobs.files('beta').stat(key)).toBeUndefined()

    const revoked = await api('alpha', 'PATCH', `/api/v1/mediaLibrary/${entryId}`, {
      patches: [{ operation: 'revokeAsset' }],
    })
    expect(revoked.status).toBe(200)
    expect((await raw('alpha', servePath(key))).status).toBe(403)
    expect((await raw('beta', servePath(key))).status).toBe(404)
    expect((await raw('beta', `/api/v1/mediaLibrary/${stolen.id}/thumbnail?w=320`)).status).toBe(404)
  })

  it("every relative key is the client's, v/… included: stored and served in its own namespace", async () => {
    const key = 'v/archive/clip.png'
    const { id, result } = await importEntry('beta', key)
    expect(result).toMatchObject({ ok: true })
    expect((await raw('beta', servePath(key))).status).toBe(404)
    await server.deps.blobs.files('beta').put(key, Readable.from([png]))
    const res = await raw('beta', servePath(key))
    expect(res.status).toBe(200)
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true)
    // Its thumbnail is made and cached apart from the client's keys: the client's key space is unchanged.
    expect((await raw('beta', `/api/v1/mediaLibrary/${id}/thumbnail?w=160`)).status).toBe(200)
    expect((await server.deps.blobs.files('beta').list('v/')).filter((k) => k !== key)).toEqual([])
  })

  it('refuses a key outside the grammar per entry, naming the rule at /asset/key, on import and PATCH', async () => {
    const bad: [string, string][] = [
      ['a/./b.png', "must not contain a '.' or '..' segment"],
      ['x//y.png', 'must not contain an empty segment (//)'],
      ['x/', 'must not end with /'],
      ['./x.png', "must not contain a '.' or '..' segment"],
      ['x/.', "must not contain a '.' or '..' segment"],
      ['..', "must not contain a '.' or '..' segment"],
      ['/abs.png', 'must be relative (no leading /)'],
      ['a\\b.png', 'must not contain a backslash'],
      ['a\u0007b.png', 'must not contain control characters'],
      ['x'.repeat(901), 'must be at most 900 bytes of UTF-8'],
    ]
    const res = await api('beta', 'POST', '/api/v1/import/mediaLibrary', {
      mediaLibraryEntries: [
        ...bad.map(([key], i) => ({ id: `bad-${i}`, mediaType: 'image', asset: assetOf(key), metadata: {} })),
        { id: 'good-1', mediaType: 'image', asset: assetOf('2026/01/01/good.png'), metadata: {} },
      ],
    })
    expect(res.status).toBe(200)
    const results = (res.body as { mediaLibraryEntries: Record<string, unknown>[] }).mediaLibraryEntries
    bad.forEach(([, rule], i) => {
      expect(results[i]).toMatchObject({
        ok: false,
        status: 400,
        error: 'ValidationError',
        error_details: { errors: [{ path: '/asset/key', message: rule }] },
      })
    })
    expect(results[bad.length]).toMatchObject({ ok: true })
    // Nothing of a refused entry was written.
    for (let i = 0; i < bad.length; i++)
      expect((await api('beta', 'GET', `/api/v1/mediaLibrary/bad-${i}`)).status).toBe(404)

    const patched = await api('beta', 'PATCH', '/api/v1/mediaLibrary/good-1', {
      patches: [{ operation: 'replaceAsset', value: assetOf('a/./b.png') }],
    })
    expect(patched.status).toBe(400)
    expect(JSON.stringify(patched.body)).toContain('/asset/key')
    expect(JSON.stringify(patched.body)).toContain("must not contain a '.' or '..' segment")
  })

  it('property: every key import accepts round-trips put/get/stat and serve-image and thumbnail without a 500', async () => {
    const segment = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
      fc.string({ unit: 'binary', minLength: 0, maxLength: 6 }),
      fc.constantFrom(
        '.',
        '..',
        'v',
        '.hidden',
        '%2e%2e',
        'a b',
        '~',
        'derived',
        'files',
        'x'.repeat(201),
        "it's",
        'say "hi"',
        '?#',
      ),
    )
    const keyArb = fc.oneof(
      fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
      fc.constantFrom('/lead.png', 'trail/', 'a//b', 'a\\b', '', 'ok.png'),
    )
    // A project of its own: on disk a key is a path, and another test's `v/…` would make `v` a folder.
    const files = server.deps.blobs.files('gamma')
    await fc.assert(
      fc.asyncProperty(keyArb, async (key) => {
        const { id, result } = await importEntry('gamma', key)
        if (keyProblem(key) !== undefined) {
          expect(result).toMatchObject({ ok: false, status: 400, error: 'ValidationError' })
          expect(JSON.stringify(result)).toContain('/asset/key')
          if (key !== '' && !key.includes('/')) expect((await raw('gamma', servePath(key))).status).toBe(404)
          return
        }
        expect(result).toMatchObject({ ok: true })
        await files.put(key, Readable.from([png]))
        expect((await files.stat(key))?.size).toBe(png.length)
        expect((await buffer((await files.get(key))!)).equals(png)).toBe(true)
        const served = await raw('gamma', servePath(key))
        expect(served.status).toBe(200)
        expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true)
        const thumb = await raw('gamma', `/api/v1/mediaLibrary/${id}/thumbnail?w=160`)
        expect(thumb.status).toBe(200)
        await files.delete(key)
        expect(await files.stat(key)).toBeUndefined()
      }),
      { numRuns: 40 },
    )
  })
})

/** S3 with a bucket of its own for one project (`storage.s3.projectBuckets`). */
describe.each(DIALECTS)('a project with its own bucket (%s, s3 storage)', (dialect) => {
  let server: TestServer
  let running: ProjectsServer
  let media: MediaServer
  let s3: Awaited<ReturnType<typeof startS3>>
  let png: Buffer
  let tokens: Record<string, string> = {}

  beforeAll(async () => {
    media = await startMediaServer()
    png = await makeImage('png', 40, 30, [10, 20, 230])
    media.routes.set('/own.png', { body: png, type: 'image/png' })
    s3 = await startS3('medialib-shared', ['alpha-own'])
    running = await startProjectsServer(
      dialect,
      {
        ...urlImportConfig(),
        storage: { ...s3.storage, s3: { ...s3.storage.s3, projectBuckets: { alpha: 'alpha-own' } } },
      },
      ['alpha', 'beta'],
    )
    ;({ server, tokens } = running)
  })
  afterAll(async () => {
    await running?.close()
    await media?.close()
    await s3?.close()
  })

  it("stores and serves alpha's files in alpha's bucket only; beta naming the key gets nothing", async () => {
    const auth = (project: string) => ({ authorization: `Bearer ${tokens[project]}` })
    const { id: mediaId, key } = await importOneByUrl(server, tokens.alpha!, media.url('/own.png'))
    expect((await server.fetch(`${servePath(key)}`, { headers: auth('alpha') })).status).toBe(200)
    expect(
      (
        await server.fetch(`/api/v1/mediaLibrary/${mediaId}/thumbnail?w=160`, {
          headers: auth('alpha'),
        })
      ).status,
    ).toBe(200)

    const own = createS3BlobStore({ ...s3.storage.s3, bucket: 'alpha-own' })
    const shared = createS3BlobStore({ ...s3.storage.s3, bucket: 'medialib-shared' })
    try {
      const ownKeys = await own.list('')
      expect(ownKeys.filter((k) => k.startsWith('files/'))).toEqual([`files/${key}`])
      expect(ownKeys.filter((k) => k.startsWith('derived/'))).toHaveLength(1)
      expect(await shared.list('')).toEqual([])
    } finally {
      own.client.destroy()
      shared.client.destroy()
    }

    const stolen = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
      token: tokens.beta,
      body: {
        mediaLibraryEntries: [
          {
            id: 'steal',
            mediaType: 'image',
            asset: {
              key,
              url: 'https://x.test/a.png',
              size: 1,
              width: 1,
              height: 1,
              filename: 'a.png',
              mimeType: 'image/png',
            },
            metadata: {},
          },
        ],
      },
    })
    expect(stolen.body).toMatchObject({ mediaLibraryEntries: [{ ok: true }] })
    expect((await server.fetch(`${servePath(key)}`, { headers: auth('beta') })).status).toBe(404)
  })
})
