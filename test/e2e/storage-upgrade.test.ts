import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import type { Config } from '../../src/config.js'
import { migrateTo, migrateToLatest, openDatabase, type Database } from '../../src/db/database.js'
import { createStorageLayoutRepository } from '../../src/db/storage-layout.repository.js'
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
import { upgradeToProjectNamespaces } from '../../src/storage/namespace-upgrade.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { makeImage } from '../helpers/media-server.js'
import { injectFetch, type TestFetch } from '../helpers/inject.js'
import { startS3 } from '../helpers/s3.js'

const STORES = ['disk', 's3'] as const
const CASES = DIALECTS.flatMap((dialect) => STORES.map((store) => [dialect, store] as const))
const K1 = '2025/01/22/alpha-original.png'
const K2 = '2025/01/23/beta-original.png'
const ODD_KEY = '2025/./odd.png'
const quiet = { warn: () => undefined }

const assetOf = (key: string, bytes: Buffer) => ({
  key,
  url: `https://cdn.example.test/${key}`,
  size: bytes.length,
  width: 30,
  height: 20,
  filename: 'o.png',
  mimeType: 'image/png',
})

/**
 * A database as 4285d06 left it: the schema migrated up to 0004 only, the projects created and the entries
 * (`[project, id, key, bytes]`, in this order) written by the import service.
 */
async function writeFlatLayoutDatabase(
  db: TestDatabase,
  entries: [string, string, string, Buffer][],
  finish?: (database: Database) => Promise<unknown>,
): Promise<void> {
  const database = openDatabase({ url: db.config.databaseUrl, dataDir: db.dataDir, poolSize: 2 })
  try {
    await migrateTo(database, '0004-import-job-list')
    const ajv = createAjv()
    const projects = createProjectService({ projects: createProjectRepository(database), ajv })
    const importer = createImportService({
      entries: createMediaEntryRepository(database),
      validator: createEntryValidator(ajv),
    })
    for (const [project, id, key, bytes] of entries) {
      if (!(await projects.get(project))) await projects.create(project)
      const [result] = await importer.importEntries(project, await projects.mediaTypesOf(project), [
        { id, mediaType: 'image', asset: assetOf(key, bytes), metadata: {} },
      ])
      expect(result?.ok).toBe(true)
    }
    await finish?.(database)
  } finally {
    await database.close()
  }
}

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
  let send: TestFetch | undefined
  const tokens: Record<string, string> = {}

  const start = async () => {
    deps = await createDeps(db.config, quiet)
    app = await buildApp(deps)
    send = injectFetch(app)
    for (const project of ['alpha', 'beta']) {
      tokens[project] = (await deps.tokens.create({ project, scopes: ['public-api:read'] })).token
    }
  }
  const stop = async () => {
    await app?.close()
    await deps?.close()
  }
  const get = (project: string, url: string) =>
    send!(url, { headers: { authorization: `Bearer ${tokens[project]}` } })

  beforeAll(async () => {
    const overrides: Partial<Config> = {}
    if (store === 's3') {
      // Beta has a bucket of its own: its blobs move there from the main bucket.
      s3 = await startS3('medialib-test', ['beta-own'])
      overrides.storage = { ...s3.storage, s3: { ...s3.storage.s3, projectBuckets: { beta: 'beta-own' } } }
    }
    db = await createTestDatabase(dialect, overrides)
    pngA = await makeImage('png', 30, 20, [200, 0, 0])
    pngB = await makeImage('png', 20, 30, [0, 0, 200])

    // The data directory as 4285d06 left it.
    await writeFlatLayoutDatabase(
      db,
      [
        ['alpha', 'a1', K1, pngA],
        ['alpha', 'odd', '2025/odd.png', pngA],
        ['beta', 'b1', K2, pngB],
        ['beta', 'b-steal', K1, pngA],
      ],
      // 4285d06 accepted `.` segments: such an entry must read as 404, never 500 (see below).
      (database) =>
        database.db
          .updateTable('media_entries')
          .set({ asset: JSON.stringify(assetOf(ODD_KEY, pngA)) })
          .where('id', '=', 'odd')
          .execute(),
    )
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
      ])
      const betaOwn = createS3BlobStore({ ...s3!.storage.s3, bucket: 'beta-own' })
      try {
        expect(await betaOwn.list('files/')).toEqual([`files/${K2}`])
      } finally {
        betaOwn.client.destroy()
      }
    }
    if (store === 'disk') {
      const left = readdirSync(path.join(db.dataDir, 'blobs'), { recursive: true, withFileTypes: true })
      expect(left.filter((d) => d.isFile())).toEqual([])
      expect(existsSync(path.join(db.dataDir, 'projects', 'alpha', 'files', K1))).toBe(true)
    }
  })

  it('an old entry whose key the grammar now refuses reads as 404 on serve-image and thumbnail, never 500', async () => {
    expect((await get('alpha', '/api/v1/mediaLibrary/odd')).status).toBe(200)
    expect((await get('alpha', '/api/v1/mediaLibrary/serve-image/2025/%2E/odd.png')).status).toBe(404)
    expect((await get('alpha', '/api/v1/mediaLibrary/odd/thumbnail?w=160')).status).toBe(404)
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

describe.each(DIALECTS)('the upgrade resumes after a crash midway (%s, disk)', (dialect) => {
  let db: TestDatabase
  afterAll(async () => db?.drop())

  it('a move that dies after some blobs loses none: the next start moves the rest, each blob once', async () => {
    db = await createTestDatabase(dialect)
    const blobs = await Promise.all(
      Array.from({ length: 12 }, (_, i) => makeImage('png', 4 + i, 4, [i * 20, 0, 0])),
    )
    const keyOf = (i: number) => `2025/02/${String(i).padStart(2, '0')}.png`
    await writeFlatLayoutDatabase(
      db,
      blobs.map((bytes, i) => [i % 2 ? 'alpha' : 'beta', `e${i}`, keyOf(i), bytes]),
    )
    const legacy = createDiskBlobStore(path.join(db.dataDir, 'blobs'))
    for (const [i, bytes] of blobs.entries()) await legacy.put(keyOf(i), Readable.from([bytes]))

    // The first start dies after 5 blobs were stored in their namespaces.
    const { createStorage } = await import('../../src/storage/storage-config.js')
    const { storage } = createStorage(db.config)
    let puts = 0
    const dying = {
      files: (project: string) => ({
        ...storage.files(project),
        put: async (...args: Parameters<BlobStore['put']>) => {
          if (++puts > 5) throw new Error('killed midway (injected)')
          return storage.files(project).put(...args)
        },
      }),
      derived: (project: string) => storage.derived(project),
    }
    const database = openDatabase({ url: db.config.databaseUrl, dataDir: db.dataDir, poolSize: 2 })
    try {
      await migrateToLatest(database)
      const layout = createStorageLayoutRepository(database)
      await expect(
        upgradeToProjectNamespaces({ layout, legacy, storage: dying, concurrency: 3 }),
      ).rejects.toThrow('killed midway')
      expect(await layout.isLegacy()).toBe(true)

      const report = await upgradeToProjectNamespaces({ layout, legacy, storage })
      expect(report).toMatchObject({ moved: 12 - 5, absent: 0, unmovable: 0 })
      expect(await layout.isLegacy()).toBe(false)
      expect(await upgradeToProjectNamespaces({ layout, legacy, storage })).toBeUndefined()
    } finally {
      await database.close()
    }
    for (const [i, bytes] of blobs.entries()) {
      const stored = await storage.files(i % 2 ? 'alpha' : 'beta').get(keyOf(i))
      expect(stored && (await buffer(stored)).equals(bytes)).toBe(true)
    }
    expect(await legacy.list('')).toEqual([])
  })
})
