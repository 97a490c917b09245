import { execFileSync } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import { defaultMediaTypes } from '../../src/media/media-types/media-type.js'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage } from '../helpers/media-server.js'
import { s3rverClient, startS3Process } from '../helpers/s3.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { countingReads } from '../helpers/counting-reader.js'

/**
 * The 2,000-file scan (#22), on a disk source and an S3 source (s3rver in a child process, so that
 * listings of more than 1,000 keys work), on both databases: 1,900 generated JPEGs with embedded EXIF (every
 * tenth with an XMP sidecar) and 100 MP4/QuickTime videos (four made by ffmpeg, copied under other names) in
 * nested folders; every entry checked (dimensions, durations, metadata from EXIF and sidecars); then a rescan
 * after adding 10, changing 5 and deleting 3 reports exactly that, reading only those files.
 */

const IMAGES = 1900
const VIDEOS = 100
const MAPPINGS = [
  { field: 'Headline', metadataPropertyName: 'title' },
  { field: 'ImageDescription', metadataPropertyName: 'caption' },
  { field: 'description', metadataPropertyName: 'caption' },
  { field: 'Artist', metadataPropertyName: 'source' },
]

const pad = (n: number) => String(n).padStart(4, '0')
const imagePath = (i: number) =>
  `photos/y${2020 + (i % 5)}/m${String((i % 12) + 1).padStart(2, '0')}/img-${pad(i)}.jpg`
const hasSidecar = (i: number) => i % 10 === 0
const sidecarXmp = (i: number) =>
  `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">` +
  `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" ` +
  `xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">` +
  `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Sidecar caption ${i}</rdf:li></rdf:Alt></dc:description>` +
  `<photoshop:Headline>Headline ${i}</photoshop:Headline></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`

/** What an image's entry must say. */
const expectedImage = (i: number) => ({
  width: 16 + (i % 40),
  height: 8 + (i % 20),
  metadata: hasSidecar(i)
    ? { title: `Headline ${i}`, caption: `Sidecar caption ${i}`, source: `Artist ${i % 7}` }
    : { caption: `Caption ${i}`, source: `Artist ${i % 7}` },
})

/** The four videos ffmpeg makes; the 100 are copies of them. */
const BASE_VIDEOS = [
  { file: 'a.mp4', size: '32x24', seconds: '1', mime: 'video/mp4' },
  { file: 'b.mov', size: '48x32', seconds: '2', mime: 'video/quicktime' },
  { file: 'c.mp4', size: '64x48', seconds: '0.5', mime: 'video/mp4' },
  { file: 'd.mov', size: '40x30', seconds: '1.5', mime: 'video/quicktime' },
]
const videoPath = (j: number) => {
  const base = BASE_VIDEOS[j % 4]!
  return `videos/set${j % 4}/deeper/clip-${pad(j)}${path.extname(base.file)}`
}

/** Runs `work` over the items, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>) {
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!)
    }),
  )
}

/** The files of a folder, relative, `/`-separated. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(path.join(dir, d.name), `${prefix}${d.name}/`) : [`${prefix}${d.name}`],
  )
}

let fixture: string
let videoInfo: Map<string, { width: number; height: number; duration: number; mime: string }>
let s3: Awaited<ReturnType<typeof startS3Process>>

beforeAll(async () => {
  fixture = mkdtempSync(path.join(tmpdir(), 'medialib-scan-2000-'))
  const put = (rel: string, bytes: Buffer | string) => {
    mkdirSync(path.dirname(path.join(fixture, rel)), { recursive: true })
    writeFileSync(path.join(fixture, rel), bytes)
  }
  const started = startS3Process('scan-2000')
  await pool(
    Array.from({ length: IMAGES }, (_, i) => i),
    8,
    async (i) => {
      const { width, height } = expectedImage(i)
      put(
        imagePath(i),
        await makeImage('jpeg', width, height, [i % 256, 80, 160], {
          ImageDescription: `Caption ${i}`,
          Artist: `Artist ${i % 7}`,
        }),
      )
      if (hasSidecar(i)) put(`${imagePath(i)}.xmp`, sidecarXmp(i))
    },
  )
  const made = mkdtempSync(path.join(tmpdir(), 'medialib-scan-2000-videos-'))
  videoInfo = new Map()
  for (const v of BASE_VIDEOS) {
    const out = path.join(made, v.file)
    execFileSync('/usr/bin/ffmpeg', [
      '-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${v.size}:rate=10`, '-t', v.seconds,
      '-c:v', 'mpeg4', '-pix_fmt', 'yuv420p', '-y', out,
    ]) // prettier-ignore
    // The duration as ffprobe reads it: an independent measure of what the entry must say.
    const duration = Number(
      execFileSync('/usr/bin/ffprobe', [
        '-v',
        'error',
        '-show_entries',
        'format=duration',
        '-of',
        'csv=p=0',
        out,
      ])
        .toString()
        .trim(),
    )
    const [width, height] = v.size.split('x').map(Number) as [number, number]
    videoInfo.set(v.file, { width, height, duration, mime: v.mime })
  }
  for (let j = 0; j < VIDEOS; j++) {
    put(videoPath(j), readFileSync(path.join(made, BASE_VIDEOS[j % 4]!.file)))
  }
  rmSync(made, { recursive: true, force: true })
  s3 = await started
}, 240_000)

afterAll(async () => {
  await s3?.close()
  if (fixture) rmSync(fixture, { recursive: true, force: true })
})

describe.each(DIALECTS)('a 2,000-file source, disk and S3 (%s)', (dialect) => {
  let server: TestServer
  let client: S3Client
  let diskDir: string
  const prefix = `${dialect}/archive/`

  beforeAll(async () => {
    server = await startTestServer(dialect, { storage: { ...DEFAULT_CONFIG.storage, s3: s3.storage.s3 } })
    const types = defaultMediaTypes().map((t) =>
      t.handle === 'image' ? { ...t, exifExtraction: { mappings: MAPPINGS } } : t,
    )
    await server.deps.projects.create('big', types)
    diskDir = mkdtempSync(path.join(tmpdir(), `medialib-scan-2000-${dialect}-`))
    cpSync(fixture, diskDir, { recursive: true })
    client = s3rverClient(s3.storage)
    await pool(walk(fixture), 16, (rel) => putObject(rel, readFileSync(path.join(fixture, rel))))
  }, 240_000)

  afterAll(async () => {
    client?.destroy()
    await server?.close()
    if (diskDir) rmSync(diskDir, { recursive: true, force: true })
  })

  const putObject = (rel: string, body: Buffer) =>
    client.send(new PutObjectCommand({ Bucket: 'scan-2000', Key: prefix + rel, Body: body }))

  /** Every entry of the source, by path. */
  const entriesOf = async (handle: string, paths: string[]) => {
    const out = new Map<
      string,
      Awaited<ReturnType<TestServer['deps']['library']['listByExternalIds']>>[number]
    >()
    for (let i = 0; i < paths.length; i += 500) {
      for (const e of await server.deps.library.listByExternalIds('big', handle, paths.slice(i, i + 500))) {
        out.set(e.externalId!, e)
      }
    }
    return out
  }

  const everyPath = [
    ...Array.from({ length: IMAGES }, (_, i) => imagePath(i)),
    ...Array.from({ length: VIDEOS }, (_, j) => videoPath(j)),
  ]

  /** Checks every entry against what its file holds. */
  const checkAll = async (handle: string, skip: ReadonlySet<string> = new Set()) => {
    const entries = await entriesOf(handle, everyPath)
    expect(entries.size).toBe(everyPath.length)
    for (let i = 0; i < IMAGES; i++) {
      if (skip.has(imagePath(i))) continue
      const e = entries.get(imagePath(i))!
      const want = expectedImage(i)
      expect({ path: imagePath(i), mediaType: e.mediaType, ...e.asset, metadata: e.metadata }).toMatchObject({
        path: imagePath(i),
        mediaType: 'image',
        key: `@source/${handle}/${imagePath(i)}`,
        mimeType: 'image/jpeg',
        width: want.width,
        height: want.height,
        metadata: want.metadata,
      })
      expect(Object.keys(e.metadata).sort()).toEqual(Object.keys(want.metadata).sort())
    }
    for (let j = 0; j < VIDEOS; j++) {
      const e = entries.get(videoPath(j))!
      const want = videoInfo.get(BASE_VIDEOS[j % 4]!.file)!
      expect({ path: videoPath(j), mediaType: e.mediaType, ...e.asset }).toMatchObject({
        path: videoPath(j),
        mediaType: 'video',
        mimeType: want.mime,
        width: want.width,
        height: want.height,
      })
      expect(e.asset.duration).toBeCloseTo(want.duration, 1)
    }
  }

  /** Adds 10 images, changes 5 (new dimensions), deletes 3, through `write`/`remove`; the paths touched. */
  const change = async (
    write: (rel: string, body: Buffer) => Promise<unknown>,
    remove: (rel: string) => Promise<unknown>,
  ) => {
    const added = Array.from({ length: 10 }, (_, k) => `photos/added/n-${k}.jpg`)
    const changed = [3, 401, 977, 1500, 1899].map(imagePath)
    const deleted = [videoPath(7), imagePath(20), imagePath(1234)]
    for (const [k, rel] of added.entries()) {
      await write(rel, await makeImage('jpeg', 30 + k, 20, [1, 2, 3], { ImageDescription: `Added ${k}` }))
    }
    for (const rel of changed) await write(rel, await makeImage('jpeg', 99, 77, [9, 9, 9]))
    for (const rel of deleted) await remove(rel)
    return { added, changed, deleted }
  }

  const scanAndCheck = async (
    handle: string,
    write: Parameters<typeof change>[0],
    remove: Parameters<typeof change>[1],
  ) => {
    const { sources } = server.deps
    const t0 = Date.now()
    const first = await sources.scan('big', handle)
    const firstMs = Date.now() - t0
    expect(first.counts).toEqual({ created: 2000, updated: 0, unchanged: 0, missing: 0, failed: 0 })
    await checkAll(handle)

    const { added, changed, deleted } = await change(write, remove)
    const reads: string[] = []
    const t1 = Date.now()
    const rescan = await sources.scan('big', handle, { wrap: countingReads(reads) })
    const rescanMs = Date.now() - t1
    expect(rescan.counts).toEqual({ created: 10, updated: 5, unchanged: 1992, missing: 3, failed: 0 })
    // Only the new and changed files were read (no sidecar exists beside them); no unchanged one.
    expect([...reads].sort()).toEqual([...added, ...changed].sort())

    const entries = await entriesOf(handle, [...added, ...changed, ...deleted])
    for (const [k, rel] of added.entries()) {
      expect(entries.get(rel)).toMatchObject({
        asset: { width: 30 + k },
        metadata: { caption: `Added ${k}` },
      })
    }
    for (const rel of changed) {
      // The asset replaced, the metadata from the first scan kept.
      expect(entries.get(rel)!.asset).toMatchObject({ width: 99, height: 77 })
      expect(entries.get(rel)!.metadata).toMatchObject({ source: expect.stringMatching(/^Artist /) })
    }
    // A vanished object shows as missing (in the scan's results and its record); its entry stays.
    const missing = await server.deps.database.db
      .selectFrom('source_scan_results')
      .select('path')
      .where('scan_id', '=', rescan.id)
      .where('outcome', '=', 'missing')
      .orderBy('path')
      .execute()
    expect(missing.map((m) => m.path)).toEqual([...deleted].sort())
    const states = await server.deps.database.db
      .selectFrom('source_objects')
      .select(['path', 'state'])
      .where('project', '=', 'big')
      .where('source', '=', handle)
      .where('state', '=', 'missing')
      .orderBy('path')
      .execute()
    expect(states.map((s) => s.path)).toEqual([...deleted].sort())
    for (const rel of deleted) expect(entries.get(rel)).toBeDefined()
    await checkAll(handle, new Set(changed))
    const load = (await import('node:os')).loadavg()[0]!.toFixed(1)
    process.stderr.write(
      `scan-2000 ${dialect}/${handle}: first scan ${firstMs} ms, rescan ${rescanMs} ms (load ${load})\n`,
    )
  }

  it('a disk source: 2,000 entries, then a rescan after +10/~5/-3', async () => {
    await server.deps.sources.add('big', 'disk', { kind: 'disk', dir: diskDir })
    await scanAndCheck(
      'disk',
      async (rel, body) => {
        mkdirSync(path.dirname(path.join(diskDir, rel)), { recursive: true })
        writeFileSync(path.join(diskDir, rel), body)
      },
      async (rel) => unlinkSync(path.join(diskDir, rel)),
    )
  }, 240_000)

  it('an S3 source (several listing pages): 2,000 entries, then a rescan after +10/~5/-3', async () => {
    await server.deps.sources.add('big', 'bucket', {
      kind: 's3',
      bucket: 'scan-2000',
      prefix,
      endpoint: s3.storage.s3.endpoint,
      forcePathStyle: true,
    })
    await scanAndCheck('bucket', putObject, (rel) =>
      client.send(new DeleteObjectCommand({ Bucket: 'scan-2000', Key: prefix + rel })),
    )
  }, 240_000)
})
