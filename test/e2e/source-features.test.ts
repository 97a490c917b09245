import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readSourceMetadataFile } from '../../src/cli/import/source-metadata-file.js'
import { randomUUID } from 'node:crypto'
import { createSourceScheduleRepository } from '../../src/db/source-schedule.repository.js'
import { createDeps } from '../../src/deps.js'
import { DEFAULT_SCAN_OPTIONS } from '../../src/sources/source.service.js'
import { defaultMediaTypes } from '../../src/media/media-types/media-type.js'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage, makePdf } from '../helpers/media-server.js'
import { databaseArgs, runCli } from '../helpers/process.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const API = '/api/v1'

const xmp = (fields: string) =>
  `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">` +
  `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" ` +
  `xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">` +
  `${fields}</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`

/** exifExtraction as the metadata test of sources.test.ts maps it. */
const MAPPINGS = [
  { field: 'Headline', metadataPropertyName: 'title' },
  { field: 'title', metadataPropertyName: 'title' },
  { field: 'ImageDescription', metadataPropertyName: 'caption' },
  { field: 'description', metadataPropertyName: 'caption' },
  { field: 'Artist', metadataPropertyName: 'source' },
]

describe.each(DIALECTS)(
  'source features: metadata files, copy, schedules, media types by extension, POST scans (%s)',
  (dialect) => {
    let server: TestServer
    let root: string
    /** A new folder under the test's root with these files. */
    const folder = (name: string, files: Record<string, Buffer | string>) => {
      const dir = path.join(root, name)
      for (const [rel, bytes] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
        writeFileSync(path.join(dir, rel), bytes)
      }
      return dir
    }
    const entryOf = async (project: string, systemName: string, externalId: string) => {
      const [entry] = await server.deps.library.listByExternalIds(project, systemName, [externalId])
      expect(entry, `${systemName}/${externalId}`).toBeDefined()
      return entry!
    }

    /** The CLI on the test's database; words split at spaces (no argument here has one). */
    const cli = (...parts: string[]) =>
      runCli([...parts.flatMap((p) => p.split(' ')), ...databaseArgs(server.db)])

    beforeAll(async () => {
      root = mkdtempSync(path.join(tmpdir(), 'medialib-source-features-'))
      server = await startTestServer(dialect)
      const types = defaultMediaTypes().map((t) =>
        t.handle === 'image' ? { ...t, exifExtraction: { mappings: MAPPINGS } } : t,
      )
      await server.deps.projects.create('meta', types)
    })

    afterAll(async () => {
      await server?.close()
      rmSync(root, { recursive: true, force: true })
    })

    const metaFiles = async () => ({
      'a/one.jpg': await makeImage('jpeg', 20, 10, [1, 2, 3], {
        ImageDescription: 'Embedded one',
        Artist: 'Embedded artist',
      }),
      'a/one.jpg.xmp': xmp(
        `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Sidecar caption</rdf:li></rdf:Alt></dc:description>` +
          `<photoshop:Headline>Sidecar headline</photoshop:Headline>`,
      ),
      'b/two.jpg': await makeImage('jpeg', 20, 10, [1, 2, 3], { ImageDescription: 'Embedded two' }),
      'c/three.jpg': await makeImage('jpeg', 20, 10, [1, 2, 3]),
    })

    it('a CSV metadata file from the CLI wins over the sidecar, which wins over EXIF, property by property', async () => {
      const dir = folder('csv', await metaFiles())
      const csv = path.join(root, 'meta.csv')
      writeFileSync(
        csv,
        'File,Headline,Notes\na/one.jpg,File title one,\nb/two.jpg,,File notes two\nnot/there.jpg,Nobody,\n',
      )
      await server.deps.sources.add('meta', 'csv', { kind: 'disk', dir })
      const bad = await cli('sources scan csv --project meta --metadata', csv, '--map id=File')
      expect(bad.code).toBe(1)
      expect(bad.stderr).toMatch(/maps path and metadata properties only/)
      const scanned = await cli(
        'sources scan csv --project meta --metadata',
        csv,
        '--map path=File --map title=Headline --map description=Notes --in-process',
      )
      expect(scanned.stderr).toBe(scanned.stderr) // shown on failure below
      expect(scanned.code, scanned.stderr).toBe(0)
      expect(scanned.stdout).toMatch(/^created\s+3$/m)
      expect((await entryOf('meta', 'csv', 'a/one.jpg')).metadata).toEqual({
        title: 'File title one', // the file over the sidecar's Headline
        caption: 'Sidecar caption', // the sidecar over the embedded ImageDescription
        source: 'Embedded artist', // only embedded
      })
      expect((await entryOf('meta', 'csv', 'b/two.jpg')).metadata).toEqual({
        caption: 'Embedded two',
        description: 'File notes two',
      })
      expect((await entryOf('meta', 'csv', 'c/three.jpg')).metadata).toEqual({})
      // The rows were stored with the scan for the workers (its batches read them from there, above): one per
      // row of the file; once the scan ended, they are gone.
      const [scan] = await server.deps.sources.scans('meta', 'csv', 1)
      expect(scan!.metadataRows).toBe(3)
      const rows = await server.deps.database.db
        .selectFrom('source_metadata')
        .select(['path'])
        .where('scan_id', '=', scan!.id)
        .orderBy('path')
        .execute()
      expect(rows).toEqual([])
    }, 90_000)

    it('--invalid-metadata refuse fails the object with the reason; keep creates it with the valid fields and reports the rest', async () => {
      const dir = folder('invalid', await metaFiles())
      const ndjson = path.join(root, 'meta.ndjson')
      writeFileSync(
        ndjson,
        [
          JSON.stringify({ path: 'a/one.jpg', title: 123, caption: 'File caption' }),
          '',
          JSON.stringify({ path: 'b/two.jpg', metadata: { description: 'From the metadata object' } }),
        ].join('\n'),
      )
      const rows = await readSourceMetadataFile(ndjson, {})
      expect(rows).toEqual([
        { path: 'a/one.jpg', metadata: { title: 123, caption: 'File caption' } },
        { path: 'b/two.jpg', metadata: { description: 'From the metadata object' } },
      ])
      await expect(readSourceMetadataFile(ndjson, { map: ['path=nope'] })).rejects.toThrow(
        /line 1: no path \(column 'nope'\)/,
      )
      const { sources } = server.deps
      const run = async (handle: string, mode: 'keep' | 'refuse' | undefined) => {
        await sources.add('meta', handle, { kind: 'disk', dir })
        const started = await sources.startScan('meta', handle, mode ? { invalidMetadata: mode } : {}, rows)
        await sources.runScan(started)
        return (await sources.scanStatus('meta', handle, started.id))!
      }

      const refused = await run('refuse', undefined)
      expect(refused).toMatchObject({ invalidMetadata: 'refuse', metadataRows: 2, notes: [] })
      expect(refused.counts).toMatchObject({ created: 2, failed: 1 })
      expect(refused.failures).toEqual([
        { path: 'a/one.jpg', reason: 'invalid metadata: title must be string' },
      ])
      expect(await server.deps.library.listByExternalIds('meta', 'refuse', ['a/one.jpg'])).toHaveLength(0)

      const kept = await run('keep', 'keep')
      expect(kept.counts).toMatchObject({ created: 3, failed: 0 })
      expect(kept.notes).toEqual([{ path: 'a/one.jpg', note: 'metadata left out: title must be string' }])
      expect((await entryOf('meta', 'keep', 'a/one.jpg')).metadata).toEqual({
        caption: 'File caption',
        source: 'Embedded artist',
      })
      expect((await entryOf('meta', 'keep', 'b/two.jpg')).metadata).toEqual({
        caption: 'Embedded two',
        description: 'From the metadata object',
      })
    })

    it('copy: true stores the scanned bytes in the project’s blob store; the entry’s asset is the copy', async () => {
      const dir = folder('copy', { 'x/pic.png': await makeImage('png', 33, 22) })
      const original = readFileSync(path.join(dir, 'x/pic.png'))
      const { sources } = server.deps
      const added = await sources.add('default', 'copied', { kind: 'disk', dir }, { copy: true })
      expect(added.options).toMatchObject({ copy: true })
      expect((await sources.scan('default', 'copied')).counts).toMatchObject({ created: 1 })
      const entry = await entryOf('default', 'copied', 'x/pic.png')
      expect(entry.asset.key).toMatch(/^\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.png$/)
      expect(entry.asset).toMatchObject({ width: 33, height: 22, size: original.length, filename: 'pic.png' })
      const stored = await server.deps.blobs.files('default').stat(entry.asset.key)
      expect(stored?.size).toBe(original.length)
      // The source's file gone, the copy still serves.
      unlinkSync(path.join(dir, 'x/pic.png'))
      const res = await server.fetch(`${API}/mediaLibrary/serve-image/${entry.asset.key}`, {
        headers: { authorization: `Bearer ${server.token}` },
      })
      expect(res.status).toBe(200)
      expect(Buffer.from(await res.arrayBuffer()).equals(original)).toBe(true)
      // A rescan reports the vanished file missing; the entry and its copy stay.
      expect((await sources.scan('default', 'copied')).counts).toMatchObject({ missing: 1 })
      expect(await server.deps.blobs.files('default').stat(entry.asset.key)).toBeDefined()
    })

    it('--media-types-by-extension chooses the media type by extension before the sniffed type’s default', async () => {
      const files = {
        'docs/report.pdf': makePdf('hello'),
        'docs/readme.TXT': 'plain text',
        'pics/pic.png': await makeImage('png', 12, 8),
      }
      const { sources } = server.deps
      await expect(
        sources.add(
          'default',
          'bad-ext',
          { kind: 'disk', dir: folder('ext0', files) },
          {
            mediaTypesByExtension: { pdf: 'nope' },
          },
        ),
      ).rejects.toThrow(/no media type 'nope' \(for \.pdf\)/)
      await expect(
        sources.add(
          'default',
          'bad-ext',
          { kind: 'disk', dir: folder('ext0', files) },
          {
            mediaTypesByExtension: { 'p/df': 'file' },
          },
        ),
      ).rejects.toThrow(/Not a file extension/)
      expect(await sources.list('default')).not.toContainEqual(expect.objectContaining({ handle: 'bad-ext' }))

      await sources.add('default', 'plain', { kind: 'disk', dir: folder('ext1', files) })
      const plain = await sources.scan('default', 'plain')
      expect(plain.counts).toMatchObject({ created: 1, failed: 2 })
      expect(plain.failures).toContainEqual({
        path: 'docs/report.pdf',
        reason: 'not an image or a video (application/pdf)',
      })

      await sources.add(
        'default',
        'by-ext',
        { kind: 'disk', dir: folder('ext2', files) },
        {
          mediaTypesByExtension: { pdf: 'file', '.txt': 'file' },
        },
      )
      const scanned = await sources.scan('default', 'by-ext')
      expect(scanned.counts).toMatchObject({ created: 3, failed: 0 })
      const pdf = await entryOf('default', 'by-ext', 'docs/report.pdf')
      expect(pdf.mediaType).toBe('file')
      expect(pdf.asset).toMatchObject({ mimeType: 'application/pdf', key: '@source/by-ext/docs/report.pdf' })
      expect((await entryOf('default', 'by-ext', 'docs/readme.TXT')).mediaType).toBe('file')
      expect((await entryOf('default', 'by-ext', 'pics/pic.png')).mediaType).toBe('image')
    })

    it('schedules: two processes’ sweeps start a due scan once; none while one runs; a worker’s idle sweep starts it', async () => {
      const dir = folder('sched', { 'one.png': await makeImage('png', 9, 9) })
      const { sources, database } = server.deps
      const before = Date.now()
      const added = await sources.add('default', 'sched', { kind: 'disk', dir }, { rescanEveryMs: 3_600_000 })
      expect(added.rescanEveryMs).toBe(3_600_000)
      expect(Date.parse(added.nextScanAt!)).toBeGreaterThanOrEqual(before + 3_600_000)
      expect(await sources.startDueScans()).toBe(0)

      const makeDue = () =>
        database.db
          .updateTable('sources')
          .set({ next_scan_at: database.caps.toTime(new Date(Date.now() - 1000)) })
          .where('handle', '=', 'sched')
          .execute()
      const nextScanAt = async () =>
        (await sources.list('default')).find((s) => s.handle === 'sched')!.nextScanAt!

      // A second process's services on the same database: both sweep at once, three times each.
      const other = await createDeps(server.db.config, { warn: () => undefined })
      try {
        // The compare-and-set: a due source read by two sweeps is started by the first only.
        await makeDue()
        const schedules = createSourceScheduleRepository(database)
        const [due] = await schedules.due(new Date(), 10)
        expect(due).toMatchObject({ project: 'default', handle: 'sched', everyMs: 3_600_000 })
        const options = { ...DEFAULT_SCAN_OPTIONS, dryRun: true }
        expect(await schedules.start(due!, { id: randomUUID(), options }, new Date())).toBe(true)
        expect(await schedules.start(due!, { id: randomUUID(), options }, new Date())).toBe(false)
        const [dryRun] = await sources.scans('default', 'sched')
        await sources.runScan(dryRun!)

        // Sweeps at once: on PostgreSQL from two processes' services (their own pools). better-sqlite3 waits
        // for a lock synchronously, so two SQLite connections of one process would wait on each other: there,
        // one process's sweeps at once (the process's connection serialises them; other processes' sweeps
        // meet the same compare-and-set).
        await makeDue()
        const sweepers = dialect === 'postgres' ? [server.deps, other] : [server.deps]
        const started = await Promise.all(
          [...sweepers, ...sweepers, ...sweepers].map((d) => d.sources.startDueScans()),
        )
        expect(started.reduce((a, b) => a + b, 0)).toBe(1)
        const scans = await sources.scans('default', 'sched')
        expect(scans.map((s) => s.state)).toEqual(['running', 'done'])
        expect(Date.parse(await nextScanAt())).toBeGreaterThan(Date.now() + 3_500_000)

        // Due again while that scan runs: nothing starts, and the source stays due.
        await makeDue()
        const stillDue = await nextScanAt()
        expect(await sources.startDueScans()).toBe(0)
        expect(await other.sources.startDueScans()).toBe(0)
        expect(await nextScanAt()).toBe(stillDue)
        expect(await sources.scans('default', 'sched')).toHaveLength(2)
      } finally {
        await other.close()
      }

      // A worker runs the queued scan, then its idle sweep starts the due one (the first one has ended).
      const worker = server.deps.createWorker({ pollMs: 20, housekeepingMs: 3_600_000 })
      worker.start()
      try {
        const deadline = Date.now() + 30_000
        for (;;) {
          const scans = await sources.scans('default', 'sched')
          if (scans.length === 3 && scans.every((s) => s.state === 'done')) {
            expect(scans.map((s) => s.counts)).toEqual([
              { created: 0, updated: 0, unchanged: 1, missing: 0, failed: 0 },
              { created: 1, updated: 0, unchanged: 0, missing: 0, failed: 0 },
              { created: 1, updated: 0, unchanged: 0, missing: 0, failed: 0 }, // the dry run's count
            ])
            break
          }
          expect(scans.length).toBeLessThanOrEqual(3)
          if (Date.now() > deadline) throw new Error(`scheduled scan not run: ${JSON.stringify(scans)}`)
          await new Promise((r) => setTimeout(r, 50))
        }
      } finally {
        await worker.stop()
      }
      expect(Date.parse(await nextScanAt())).toBeGreaterThan(Date.now() + 3_500_000)

      // sources update: a new interval, or none.
      const updated = await cli('sources update sched --project default --rescan-every 1h30m')
      expect(updated.code, updated.stderr).toBe(0)
      expect(updated.stdout).toMatch(/rescans every 1h30m, next at /)
      expect((await sources.list('default')).find((s) => s.handle === 'sched')!.rescanEveryMs).toBe(5_400_000)
      const tooShort = await cli('sources update sched --project default --rescan-every 5s')
      expect(tooShort.code).toBe(1)
      expect(tooShort.stderr).toMatch(/from 1m to 366d/)
      const off = await cli('sources update sched --project default --rescan-every off')
      expect(off.stdout).toMatch(/has no schedule/)
      const listed = (await sources.list('default')).find((s) => s.handle === 'sched')!
      expect(listed).toMatchObject({ rescanEveryMs: null, nextScanAt: null })
    }, 90_000)

    it('sources add --copy --media-types-by-extension --rescan-every from the CLI; list shows them', async () => {
      const dir = folder('cli-add', { 'a.pdf': makePdf('cli') })
      const bad = await cli(
        'sources add cli-bad --project default --disk',
        dir,
        '--media-types-by-extension pdf',
      )
      expect(bad.code).toBe(1)
      expect(bad.stderr).toMatch(/expected ext=mediaType/)
      const added = await cli(
        'sources add cli-all --project default --disk',
        dir,
        '--copy --media-types-by-extension pdf=file --rescan-every 6h',
      )
      expect(added.code, added.stderr).toBe(0)
      const source = (await server.deps.sources.list('default')).find((x) => x.handle === 'cli-all')!
      expect(source).toMatchObject({
        options: { copy: true, mediaTypesByExtension: { pdf: 'file' } },
        rescanEveryMs: 21_600_000,
      })
      const listed = await cli('sources list --project default')
      expect(listed.stdout).toMatch(/^cli-all\s+disk\s+\S+\s+yes\s+6h\s+\d{4}-/m)
      expect((await server.deps.sources.scan('default', 'cli-all')).counts).toMatchObject({ created: 1 })
      const pdf = await entryOf('default', 'cli-all', 'a.pdf')
      expect(pdf).toMatchObject({ mediaType: 'file', asset: { mimeType: 'application/pdf' } })
      expect(pdf.asset.key).not.toMatch(/^@source\//)
    }, 90_000)

    it('POST …/sources/{handle}/scans queues a scan (202), with its errors in the envelope', async () => {
      const dir = folder('api', { 'a.png': await makeImage('png', 7, 5) })
      await server.deps.sources.add('default', 'api-scan', { kind: 'disk', dir })
      const url = `${API}/mediaLibrary/sources/api-scan/scans`
      const dry = await request(server, 'POST', url, { token: server.token, body: { dryRun: true } })
      expect(dry.status).toBe(202)
      expect(dry.body).toMatchObject({
        source: 'api-scan',
        state: 'running',
        dryRun: true,
        retryFailed: false,
      })
      const empty = await request(server, 'POST', url, { token: server.token })
      expect(empty.status).toBe(202)
      const queued = empty.body as { id: string; dryRun: boolean }
      expect(queued.dryRun).toBe(false)
      await server.deps.sources.runScan(queued)
      const done = await request(server, 'GET', `${url}/${queued.id}`, { token: server.token })
      expect(done.body).toMatchObject({ state: 'done', counts: { created: 1 } })

      const reader = await server.createToken('default', ['public-api:read'])
      expect((await request(server, 'POST', url, { token: reader, body: {} })).status).toBe(403)
      expect((await request(server, 'POST', url, { body: {} })).status).toBe(401)
      const unknown = await request(server, 'POST', `${API}/mediaLibrary/sources/nope/scans`, {
        token: server.token,
        body: {},
      })
      expect(unknown).toMatchObject({
        status: 404,
        body: { status: 404, error_details: { name: 'NotFound' } },
      })
      for (const body of [
        { pageSize: 0 },
        { batchSize: 10_001 },
        { invalidMetadata: 'maybe' },
        { surprise: 1 },
      ]) {
        const refused = await request(server, 'POST', url, { token: server.token, body })
        expect(refused.status, JSON.stringify(body)).toBe(400)
        expect(refused.body).toMatchObject({ status: 400 })
      }
      // The sources' settings in the list.
      const listed = await request(server, 'GET', `${API}/mediaLibrary/sources`, { token: reader })
      const byHandle = new Map(
        (listed.body as { sources: { handle: string }[] }).sources.map((x) => [x.handle, x]),
      )
      expect(byHandle.get('copied')).toMatchObject({
        copy: true,
        mediaTypesByExtension: {},
        rescanEveryMs: null,
      })
      expect(byHandle.get('by-ext')).toMatchObject({
        copy: false,
        mediaTypesByExtension: { pdf: 'file', txt: 'file' },
        nextScanAt: null,
      })
      expect(byHandle.get('api-scan')).toMatchObject({
        kind: 'disk',
        prefix: '',
        lastScan: { source: 'api-scan' },
      })
      // The dry run is still queued: a worker would run it; here it is run to leave nothing open.
      await server.deps.sources.runScan(dry.body as { id: string })
    })
  },
)
