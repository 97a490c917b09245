import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import type { Config } from '../../src/config.js'
import { migrateTo, openDatabase } from '../../src/db/database.js'
import { createMediaEntryRepository } from '../../src/db/media-entry.repository.js'
import { createProjectRepository } from '../../src/db/project.repository.js'
import { createDeps, type Deps } from '../../src/deps.js'
import { createAjv } from '../../src/media/ajv.js'
import { createEntryValidator } from '../../src/media/entry-validator.js'
import { createImportService } from '../../src/media/import.service.js'
import { createProjectService } from '../../src/projects/project.service.js'
import type { BlobStore } from '../../src/storage/blob-store.js'
import { createDiskBlobStore } from '../../src/storage/disk-blob-store.js'
import { createS3BlobStore } from '../../src/storage/s3-blob-store.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { makeImage } from '../helpers/media-server.js'
import { startS3 } from '../helpers/s3.js'

const STORES = ['disk', 's3'] as const
const CASES = DIALECTS.flatMap((dialect) => STORES.map((store) => [dialect, store] as const))
const K1 = '2025/01/22/alpha-original.png'
const K2 = '2025/01/23/beta-original.png'
const quiet = { warn: () => undefined }

/**
 * The upgrade from the layout before project namespaces (#13, build item 4). The fixture is a data
 * directory as release 4285d06 left it: the schema migrated up to 0004 only, entries written by the import
 * service, and blobs where 4285d06 put them: one flat key space, `<dataDir>/blobs/<key>` on disk and
 * `<prefix><key>` in the bucket (the same store code, at the old root), thumbnails under `v/<key>/…`.
 * Project beta's entry naming alpha's key (the finding) comes after alpha's entry, as it must have.
 */
describe.each(CASES)('upgrade to per-project storage namespaces (%s, %s storage)', (dialect, store) => {
  let db: TestDatabase
  let s3: Awaited<ReturnType<typeof startS3>> | undefined
  let legacy: BlobStore & { client?: { destroy(): void } }
  let pngA: Buffer
  let pngB: Buffer
  let deps: Deps | undefined
  let app: FastifyInstance | undefined
  let baseUrl = ''
  const tokens: Record<string, string> = {}

  const start = async () => {
    deps = await createDeps(db.config, quiet)
    app = await buildApp(deps)
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })
    for (const project of ['alpha', 'beta']) {
      tokens[project] = (await deps.tokens.create({ project, scopes: ['public-api:read'] })).token
    }
  }
  const stop = async () => {
    await app?.close()
    await deps?.close()
  }
  const get = (project: string, url: string) =>
    fetch(`${baseUrl}${url}`, { headers: { authorization: `Bearer ${tokens[project]}` } })

  beforeAll(async () => {
    const overrides: Partial<Config> = {}
    if (store === 's3') {
      s3 = await startS3()
      overrides.storage = s3.storage
    }
    db = await createTestDatabase(dialect, overrides)
    pngA = await makeImage('png', 30, 20, [200, 0, 0])
    pngB = await makeImage('png', 20, 30, [0, 0, 200])

    // The data directory as 4285d06 left it.
    const database = openDatabase({ url: db.config.databaseUrl, dataDir: db.dataDir, poolSize: 2 })
    try {
      await migrateTo(database, '0004-import-job-list')
      const ajv = createAjv()
      const projects = createProjectService({ projects: createProjectRepository(database), ajv })
      const importer = createImportService({
        entries: createMediaEntryRepository(database),
        validator: createEntryValidator(ajv),
      })
      const asset = (key: string, bytes: Buffer) => ({
        key,
        url: `https://cdn.example.test/${key}`,
        size: bytes.length,
        width: 30,
        height: 20,
        filename: 'o.png',
        mimeType: 'image/png',
      })
      for (const [project, entries] of [
        ['alpha', [{ id: 'a1', mediaType: 'image', asset: asset(K1, pngA), metadata: {} }]],
        [
          'beta',
          [
            { id: 'b1', mediaType: 'image', asset: asset(K2, pngB), metadata: {} },
            { id: 'b-steal', mediaType: 'image', asset: asset(K1, pngA), metadata: {} },
          ],
        ],
      ] as const) {
        await projects.create(project)
        const results = await importer.importEntries(project, await projects.mediaTypesOf(project), [
          ...entries,
        ])
        expect(results.every((r) => r.ok)).toBe(true)
      }
    } finally {
      await database.close()
    }
    legacy =
      store === 's3' ? createS3BlobStore(s3!.storage.s3) : createDiskBlobStore(path.join(db.dataDir, 'blobs'))
    await legacy.put(K1, Readable.from([pngA]))
    await legacy.put(K2, Readable.from([pngB]))
    await legacy.put(`v/${K1}/w320.webp`, Readable.from([Buffer.from('old thumbnail')]))

    await start()
  })
  afterAll(async () => {
    await stop()
    legacy?.client?.destroy()
    await db?.drop()
    await s3?.close()
  })

  it("moves each blob into its owner's namespace: each project serves its own, beta not alpha's", async () => {
    const a = await get('alpha', `/api/v1/mediaLibrary/serve-image/${K1}`)
    expect(a.status).toBe(200)
    expect(Buffer.from(await a.arrayBuffer()).equals(pngA)).toBe(true)
    const b = await get('beta', `/api/v1/mediaLibrary/serve-image/${K2}`)
    expect(b.status).toBe(200)
    expect(Buffer.from(await b.arrayBuffer()).equals(pngB)).toBe(true)
    expect((await get('beta', `/api/v1/mediaLibrary/serve-image/${K1}`)).status).toBe(404)
    expect((await get('alpha', '/api/v1/mediaLibrary/a1/thumbnail?w=160')).status).toBe(200)
    expect((await get('beta', '/api/v1/mediaLibrary/b-steal/thumbnail?w=160')).status).toBe(404)

    // The old layout is empty: originals moved, old thumbnails removed.
    // (In S3 the namespaces share the bucket and prefix: `projects/<project>/files/<key>`.)
    expect((await legacy.list('')).filter((k) => !k.startsWith('projects/'))).toEqual([])
    if (store === 's3') {
      expect((await legacy.list('projects/')).filter((k) => k.includes('/files/'))).toEqual([
        `projects/alpha/files/${K1}`,
        `projects/beta/files/${K2}`,
      ])
    }
    if (store === 'disk') {
      const left = readdirSync(path.join(db.dataDir, 'blobs'), { recursive: true, withFileTypes: true })
      expect(left.filter((d) => d.isFile())).toEqual([])
      expect(existsSync(path.join(db.dataDir, 'projects', 'alpha', 'files', K1))).toBe(true)
    }
  })

  it('runs once: a restart serves the same and moves nothing again', async () => {
    await stop()
    await start()
    const a = await get('alpha', `/api/v1/mediaLibrary/serve-image/${K1}`)
    expect(a.status).toBe(200)
    expect(Buffer.from(await a.arrayBuffer()).equals(pngA)).toBe(true)
    expect((await get('beta', `/api/v1/mediaLibrary/serve-image/${K1}`)).status).toBe(404)
  })
})
