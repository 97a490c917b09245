import { PutObjectCommand } from '@aws-sdk/client-s3'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import { defaultMediaTypes } from '../../src/media/media-types/media-type.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { makeImage } from '../helpers/media-server.js'
import { runCli } from '../helpers/process.js'
import { countingReads } from '../helpers/counting-reader.js'
import { scanCounts } from '../helpers/scan-counts.js'
import { s3rverClient, startS3 } from '../helpers/s3.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const API = '/api/v1'

/** A scan's counts: created, updated, missing, unchanged, failed. */
const counts = scanCounts

describe.each(DIALECTS)('sources: files indexed where they lie (%s)', (dialect) => {
  let server: TestServer
  let s3: Awaited<ReturnType<typeof startS3>>
  let dir: string
  let outside: string
  const files = (rel: string) => path.join(dir, ...rel.split('/'))
  const write = (rel: string, bytes: Buffer) => {
    mkdirSync(path.dirname(files(rel)), { recursive: true })
    writeFileSync(files(rel), bytes)
  }
  const byExternalId = async (systemName: string, externalId: string) => {
    const res = await server.fetch(
      `${API}/mediaLibrary?systemName=${systemName}&externalId=${encodeURIComponent(externalId)}`,
      { headers: { authorization: `Bearer ${server.token}` } },
    )
    expect(res.status).toBe(200)
    type Entry = { id: string; asset: Record<string, unknown>; metadata: Record<string, unknown> }
    const body = (await res.json()) as { mediaLibraryEntries: Entry[] }
    expect(body.mediaLibraryEntries).toHaveLength(1)
    return body.mediaLibraryEntries[0]!
  }

  beforeAll(async () => {
    s3 = await startS3('source-bucket')
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-source-'))
    outside = mkdtempSync(path.join(tmpdir(), 'medialib-outside-'))
    writeFileSync(path.join(outside, 'secret.png'), await makeImage('png', 10, 10))
    write('a.png', await makeImage('png', 40, 30))
    write('2024/b.jpeg', await makeImage('jpeg', 64, 48))
    write('2024/summer/c.webp', await makeImage('webp', 20, 10))
    write('notes.txt', Buffer.from('not a picture'))
    // A symlink out of the root: never listed, refused when named.
    symlinkSync(path.join(outside, 'secret.png'), files('escape.png'))
    server = await startTestServer(
      dialect,
      { storage: { ...DEFAULT_CONFIG.storage, s3: s3.storage.s3 } },
      { listen: true },
    )
  })

  afterAll(async () => {
    await server?.close()
    await s3?.close()
    rmSync(dir, { recursive: true, force: true })
    rmSync(outside, { recursive: true, force: true })
  })

  it('scans a disk source into entries with probed sizes, and rescans only what changed', async () => {
    const { sources } = server.deps
    await expect(
      sources.add('default', 'photos', { kind: 'disk', dir: path.join(dir, 'nope') }),
    ).rejects.toThrow(/does not exist/)
    await sources.add('default', 'photos', { kind: 'disk', dir })
    expect((await sources.list('default')).map((s) => s.handle)).toEqual(['photos'])

    const first = await sources.scan('default', 'photos')
    expect(first.counts).toEqual(counts(3, 0, 0, 0, 1))
    expect(first.failures).toEqual([{ path: 'notes.txt', reason: 'not an image or a video (unknown type)' }])
    const b = await byExternalId('photos', '2024/b.jpeg')
    expect(b.asset).toMatchObject({
      key: '@source/photos/2024/b.jpeg',
      width: 64,
      height: 48,
      mimeType: 'image/jpeg',
      filename: 'b.jpeg',
    })

    // An editor's metadata, which the rescan must keep.
    const a = await byExternalId('photos', 'a.png')
    await server.deps.library.patch('default', a.id, {
      patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'Edited by hand' }],
    })

    write('new/d.png', await makeImage('png', 12, 12))
    write('new/e.gif', await makeImage('gif', 8, 6))
    write('a.png', await makeImage('png', 80, 60, [10, 200, 10]))
    unlinkSync(files('2024/summer/c.webp'))

    const reads: string[] = []
    const second = await sources.scan('default', 'photos', { wrap: countingReads(reads) })
    expect(second.counts).toEqual(counts(2, 1, 1, 2, 0))
    expect(reads.sort()).toEqual(['a.png', 'new/d.png', 'new/e.gif'])

    const changed = await byExternalId('photos', 'a.png')
    expect(changed.id).toBe(a.id)
    expect(changed.asset).toMatchObject({ width: 80, height: 60 })
    expect(changed.metadata).toMatchObject({ title: 'Edited by hand' })
    // The vanished file's entry stays; its object is marked missing.
    const states = await server.deps.database.db
      .selectFrom('source_objects')
      .select(['path', 'state'])
      .where('source', '=', 'photos')
      .where('state', '=', 'missing')
      .execute()
    expect(states).toEqual([{ path: '2024/summer/c.webp', state: 'missing' }])
    expect((await byExternalId('photos', '2024/summer/c.webp')).asset).toMatchObject({ width: 20 })

    // Nothing changed: nothing read.
    const again: string[] = []
    expect((await sources.scan('default', 'photos', { wrap: countingReads(again) })).counts).toEqual(
      counts(0, 0, 0, 5, 0),
    )
    expect(again).toEqual([])

    // A changed file whose entry is in the trash is skipped; the scan goes on.
    await server.deps.trash.delete('default', (await byExternalId('photos', 'new/d.png')).id)
    write('new/d.png', await makeImage('png', 14, 14))
    expect((await sources.scan('default', 'photos')).counts).toEqual(counts(0, 0, 0, 4, 1))
  })

  it('scan status in the API; --dry-run reads and writes nothing; --retry-failed reads failures again', async () => {
    const { sources } = server.deps
    const apiDir = mkdtempSync(path.join(tmpdir(), 'medialib-source-api-'))
    try {
      writeFileSync(path.join(apiDir, 'one.png'), await makeImage('png', 11, 9))
      writeFileSync(path.join(apiDir, 'two.png'), await makeImage('png', 13, 9))
      writeFileSync(path.join(apiDir, 'bad.png'), Buffer.from('no png at all'))
      await sources.add('default', 'api', { kind: 'disk', dir: apiDir })
      const get = (url: string, token = server.token) => request(server, 'GET', `${API}${url}`, { token })

      // A dry run: counts what a scan would do, reads nothing, writes no entry and records no object.
      const reads: string[] = []
      const dry = await sources.scan('default', 'api', { dryRun: true, wrap: countingReads(reads) })
      expect(dry).toMatchObject({ state: 'done', dryRun: true, counts: counts(3, 0, 0, 0, 0) })
      expect(reads).toEqual([])
      const none = await server.deps.library.search('default', { systemName: 'api', limit: 10 })
      expect(none.entries).toHaveLength(0)

      const real = await sources.scan('default', 'api')
      expect(real.counts).toEqual(counts(2, 0, 0, 0, 1))

      // The status API (scope read), as the OpenAPI document describes it (the response check).
      const reader = await server.createToken('default', ['public-api:read'])
      const listed = await get('/mediaLibrary/sources', reader)
      expect(listed.status).toBe(200)
      const body = listed.body as { sources: { handle: string; lastScan: { id: string } | null }[] }
      const api = body.sources.find((x) => x.handle === 'api')!
      expect(api).toMatchObject({ kind: 'disk', prefix: '', lastScan: { id: real.id, state: 'done' } })
      const one = await get(`/mediaLibrary/sources/api/scans/${real.id}`, reader)
      expect(one.status).toBe(200)
      expect(one.body).toMatchObject({
        id: real.id,
        source: 'api',
        state: 'done',
        dryRun: false,
        counts: counts(2, 0, 0, 0, 1),
        pending: { queued: 0, running: 0 },
        failures: [{ path: 'bad.png', reason: 'not an image or a video (unknown type)' }],
      })
      const scans = await get('/mediaLibrary/sources/api/scans', reader)
      expect(scans.status).toBe(200)
      expect((scans.body as { scans: { id: string }[] }).scans.map((x) => x.id)).toEqual([real.id, dry.id])
      expect((await get('/mediaLibrary/sources/nope/scans')).status).toBe(404)
      expect((await get(`/mediaLibrary/sources/api/scans/no-such-scan`)).body).toMatchObject({
        status: 404,
        error_details: { name: 'NotFound' },
      })
      expect((await get('/mediaLibrary/sources/Bad_Handle/scans')).status).toBe(400)
      expect((await get('/mediaLibrary/sources', 'not-a-token')).status).toBe(401)

      // Unchanged files are not read, a failed one neither, unless --retry-failed.
      const again: string[] = []
      expect((await sources.scan('default', 'api', { wrap: countingReads(again) })).counts).toEqual(
        counts(0, 0, 0, 3, 0),
      )
      expect(again).toEqual([])
      const retried: string[] = []
      const retry = await sources.scan('default', 'api', { retryFailed: true, wrap: countingReads(retried) })
      expect(retry.counts).toEqual(counts(0, 0, 0, 2, 1))
      expect(retried).toEqual(['bad.png'])
    } finally {
      rmSync(apiDir, { recursive: true, force: true })
    }
  })

  it('adopts the entry a killed attempt (or an earlier import) made for an object, never a second one', async () => {
    const { sources } = server.deps
    const adoptDir = mkdtempSync(path.join(tmpdir(), 'medialib-source-adopt-'))
    try {
      writeFileSync(path.join(adoptDir, 'kept.png'), await makeImage('png', 21, 17))
      await sources.add('default', 'adopt', { kind: 'disk', dir: adoptDir })
      // What a batch killed after creating the entry and before recording its results leaves behind.
      const before = await request(server, 'POST', `${API}/import/mediaLibrary`, {
        token: server.token,
        body: {
          mediaLibraryEntries: [imageEntry({ systemName: 'adopt', externalId: 'kept.png' })],
        },
      })
      expect(before.status).toBe(200)
      const made = await byExternalId('adopt', 'kept.png')
      const scanned = await sources.scan('default', 'adopt')
      expect(scanned.counts).toEqual(counts(1, 0, 0, 0, 0))
      const adopted = await byExternalId('adopt', 'kept.png')
      expect(adopted.id).toBe(made.id)
      expect(adopted.asset).toMatchObject({ key: '@source/adopt/kept.png', width: 21, height: 17 })
    } finally {
      rmSync(adoptDir, { recursive: true, force: true })
    }
  })

  it('metadata from beside the files: embedded EXIF and XMP sidecars through exifExtraction, the sidecar winning', async () => {
    const xmp = (fields: string) =>
      `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">` +
      `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" ` +
      `xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">` +
      `${fields}</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`
    const alt = (tag: string, text: string) =>
      `<${tag}><rdf:Alt><rdf:li xml:lang="x-default">${text}</rdf:li></rdf:Alt></${tag}>`
    const metaDir = mkdtempSync(path.join(tmpdir(), 'medialib-source-meta-'))
    const put = (rel: string, bytes: Buffer | string) => {
      mkdirSync(path.dirname(path.join(metaDir, rel)), { recursive: true })
      writeFileSync(path.join(metaDir, rel), bytes)
    }
    try {
      const mappings = [
        { field: 'Headline', metadataPropertyName: 'title' },
        { field: 'title', metadataPropertyName: 'title' },
        { field: 'ImageDescription', metadataPropertyName: 'caption' },
        { field: 'description', metadataPropertyName: 'caption' },
        { field: 'Artist', metadataPropertyName: 'source' },
      ]
      const types = defaultMediaTypes().map((t) =>
        t.handle === 'image' ? { ...t, exifExtraction: { mappings } } : t,
      )
      await server.deps.projects.create('meta', types)
      put(
        'a/one.jpg',
        await makeImage('jpeg', 20, 10, [1, 2, 3], {
          ImageDescription: 'Embedded one',
          Artist: 'Embedded artist',
        }),
      )
      put(
        'a/one.jpg.xmp',
        xmp(
          `${alt('dc:description', 'Sidecar caption')}<photoshop:Headline>Sidecar headline</photoshop:Headline>`,
        ),
      )
      put('b/two.jpg', await makeImage('jpeg', 20, 10, [1, 2, 3], { ImageDescription: 'Embedded two' }))
      put('b/two.xmp', xmp(alt('dc:title', 'Stem title')))
      put('c/three.jpg', await makeImage('jpeg', 20, 10, [1, 2, 3], { ImageDescription: 'Embedded three' }))
      await server.deps.sources.add('meta', 'side', { kind: 'disk', dir: metaDir })
      const scanned = await server.deps.sources.scan('meta', 'side')
      // The sidecars are no objects of their own.
      expect(scanned.counts).toEqual(counts(3, 0, 0, 0, 0))
      const [one, two, three] = await server.deps.library.listByExternalIds('meta', 'side', [
        'a/one.jpg',
        'b/two.jpg',
        'c/three.jpg',
      ])
      expect(one!.metadata).toEqual({
        title: 'Sidecar headline',
        caption: 'Sidecar caption',
        source: 'Embedded artist',
      })
      expect(two!.metadata).toEqual({ title: 'Stem title', caption: 'Embedded two' })
      expect(three!.metadata).toEqual({ caption: 'Embedded three' })
    } finally {
      rmSync(metaDir, { recursive: true, force: true })
    }
  })

  it('serves a source entry in place over real HTTP: original, thumbnail', async () => {
    const url = `${server.baseUrl}${API}/mediaLibrary/serve-image/@source/photos/2024/b.jpeg`
    const res = await fetch(url, { headers: { authorization: `Bearer ${server.token}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/jpeg')
    const served = Buffer.from(await res.arrayBuffer())
    expect(served.equals(await import('node:fs').then((fs) => fs.readFileSync(files('2024/b.jpeg'))))).toBe(
      true,
    )

    // A variant (imgix parameters) reads the source too.
    const variant = await fetch(`${url}?w=32&fm=png`, {
      headers: { authorization: `Bearer ${server.token}` },
    })
    expect(variant.status).toBe(200)
    expect(await sharp(Buffer.from(await variant.arrayBuffer())).metadata()).toMatchObject({
      format: 'png',
      width: 32,
    })

    const b = await byExternalId('photos', '2024/b.jpeg')
    const thumb = await fetch(`${server.baseUrl}${API}/mediaLibrary/${b.id}/thumbnail?w=160`, {
      headers: { authorization: `Bearer ${server.token}`, accept: 'image/webp' },
    })
    expect(thumb.status).toBe(200)
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()
    expect(meta.width).toBeGreaterThan(0)
  })

  it('refuses a source key that leaves the root with 400', async () => {
    const reader = (await server.deps.sources.readerOf('default', 'photos'))!
    await expect(reader.get('../outside/secret.png')).rejects.toMatchObject({ status: 400 })
    await expect(reader.get('/etc/passwd')).rejects.toMatchObject({ status: 400 })
    await expect(reader.get('escape.png')).rejects.toMatchObject({ status: 400 })

    // The view is read-only: writing a source key is refused, deleting one (a trash purge) leaves the file.
    const view = server.deps.blobs.files('default')
    await expect(view.put('@source/photos/a.png', Readable.from([Buffer.from('x')]))).rejects.toThrow(
      /read-only/,
    )
    await view.delete('@source/photos/2024/b.jpeg')
    expect(existsSync(files('2024/b.jpeg'))).toBe(true)

    // An entry naming the symlink out of the root is refused when served.
    const asset = {
      key: '@source/photos/escape.png',
      url: 'http://x/escape.png',
      size: 1,
      width: 10,
      height: 10,
      filename: 'escape.png',
      mimeType: 'image/png',
    }
    // Clients cannot name source keys (only scans make such entries); a scan-made entry's asset is set here
    // through the service, as a scan sets it.
    const imported = await request(server, 'POST', `${API}/import/mediaLibrary`, {
      token: server.token,
      body: { mediaLibraryEntries: [imageEntry({ id: 'escape-1' })] },
    })
    expect(imported.status).toBe(200)
    await server.deps.library.patch('default', 'escape-1', {
      patches: [{ operation: 'replaceAsset', value: asset }],
    })
    const res = await fetch(`${server.baseUrl}${API}/mediaLibrary/serve-image/@source/photos/escape.png`, {
      headers: { authorization: `Bearer ${server.token}` },
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ status: 400 })
  })

  it('refuses client imports and patches that name a source key (@source/…) with 400', async () => {
    const asset = {
      key: '@source/photos/a.png',
      url: 'http://x/a.png',
      size: 1,
      width: 10,
      height: 10,
      filename: 'a.png',
      mimeType: 'image/png',
    }
    const imported = await request(server, 'POST', `${API}/import/mediaLibrary`, {
      token: server.token,
      body: {
        mediaLibraryEntries: [
          imageEntry({ id: 'claims-source-1', asset }),
          imageEntry({
            id: 'claims-source-2',
            translations: [
              {
                locale: 'de',
                metadata: { title: 'Titel' },
                asset: { ...asset, key: '@source/photos/2024/b.jpeg' },
              },
            ],
          }),
          imageEntry({ id: 'plain-1' }),
        ],
      },
    })
    expect(imported.status).toBe(200)
    const results = (imported.body as { mediaLibraryEntries: Record<string, unknown>[] }).mediaLibraryEntries
    expect(results.map((r) => r.status)).toEqual([400, 400, 200])
    expect(JSON.stringify(results[0])).toContain("must not start with '@source/'")
    expect(JSON.stringify(results[1])).toContain('/translations/0/asset/key')
    const found = await server.deps.library.listByIds('default', ['claims-source-1', 'claims-source-2'])
    expect(found).toHaveLength(0)

    const patched = await request(server, 'PATCH', `${API}/mediaLibrary/plain-1`, {
      token: server.token,
      body: { patches: [{ operation: 'replaceAsset', value: asset }] },
    })
    expect(patched.status).toBe(400)
    expect(patched.body).toMatchObject({
      error_details: { 'patches.0.value.key': expect.stringContaining("must not start with '@source/'") },
    })
    const batch = await request(server, 'PATCH', `${API}/mediaLibrary`, {
      token: server.token,
      body: { entries: [{ id: 'plain-1', patches: [{ operation: 'replaceAsset', value: asset }] }] },
    })
    expect(batch.status).toBe(200)
    expect(
      (batch.body as { mediaLibraryEntries: Record<string, unknown>[] }).mediaLibraryEntries[0],
    ).toMatchObject({
      status: 400,
    })
    expect((await server.deps.library.getOrFail('default', 'plain-1')).asset.key).not.toMatch(/^@source/)
  })

  it('medialib sources add/list/scan/remove from the CLI', async () => {
    const { config, dataDir } = server.db
    const dbArgs = ['--data-dir', dataDir, ...(config.databaseUrl ? ['--database', config.databaseUrl] : [])]
    const cliDir = mkdtempSync(path.join(tmpdir(), 'medialib-cli-source-'))
    try {
      writeFileSync(path.join(cliDir, 'one.png'), await makeImage('png', 9, 7))
      const both = await runCli(['sources', 'add', 'cli', '--project', 'default', ...dbArgs])
      expect(both.code).toBe(1)
      expect(both.stderr).toMatch(/exactly one of --disk DIR or --s3/)
      const added = await runCli([
        'sources',
        'add',
        'cli',
        '--project',
        'default',
        '--disk',
        cliDir,
        ...dbArgs,
      ])
      expect(added.stderr + added.stdout).toMatch(/added source 'cli'/)
      expect((await runCli(['sources', 'list', '--project', 'default', ...dbArgs])).stdout).toMatch(
        /^cli\s+disk/m,
      )
      const scanned = await runCli([
        'sources',
        'scan',
        'cli',
        '--project',
        'default',
        '--in-process',
        ...dbArgs,
      ])
      expect(scanned.code).toBe(0)
      expect(scanned.stdout).toMatch(/^created\s+1$/m)
      expect((await byExternalId('cli', 'one.png')).asset).toMatchObject({ width: 9, height: 7 })
      const removed = await runCli(['sources', 'remove', 'cli', '--project', 'default', ...dbArgs])
      expect(removed.code).toBe(0)
      expect((await runCli(['sources', 'scan', 'cli', '--project', 'default', ...dbArgs])).stderr).toMatch(
        /No source 'cli'/,
      )
    } finally {
      rmSync(cliDir, { recursive: true, force: true })
    }
  }, 90_000) // six CLI processes, each starting Node.js and the AWS SDK: slow on a loaded machine

  it('scans an S3 source under a prefix, and rescans by ETag', async () => {
    const client = s3rverClient(s3.storage)
    const put = async (key: string, body: Buffer) =>
      client.send(new PutObjectCommand({ Bucket: 'source-bucket', Key: key, Body: body }))
    await put('archive/x/one.png', await makeImage('png', 30, 20))
    await put('archive/x/y/two.jpeg', await makeImage('jpeg', 50, 40))
    await put('elsewhere/three.png', await makeImage('png', 5, 5))
    const { sources } = server.deps
    await sources.add('default', 'bucket', {
      kind: 's3',
      bucket: 'source-bucket',
      prefix: 'archive/',
      endpoint: s3.storage.s3.endpoint,
      forcePathStyle: true,
    })
    expect((await sources.scan('default', 'bucket')).counts).toEqual(counts(2, 0, 0, 0, 0))
    expect((await byExternalId('bucket', 'x/y/two.jpeg')).asset).toMatchObject({
      key: '@source/bucket/x/y/two.jpeg',
      width: 50,
      height: 40,
    })
    await put('archive/x/one.png', await makeImage('png', 31, 21))
    const reads: string[] = []
    expect((await sources.scan('default', 'bucket', { wrap: countingReads(reads) })).counts).toEqual(
      counts(0, 1, 0, 1, 0),
    )
    expect(reads).toEqual(['x/one.png'])
    const res = await fetch(`${server.baseUrl}${API}/mediaLibrary/serve-image/@source/bucket/x/one.png`, {
      headers: { authorization: `Bearer ${server.token}` },
    })
    expect(res.status).toBe(200)
    expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width).toBe(31)
    client.destroy()
  })
})
