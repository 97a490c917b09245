import { createHash } from 'node:crypto'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { makeImage, startMediaServer, type MediaServer } from '../helpers/media-server.js'
import { runCli, startServeProcess, type ServeProcess } from '../helpers/process.js'
import { request } from '../helpers/server.js'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const lines = (text: string) => text.split('\n').filter((l) => l !== '')
/** The entries of a list answer, whichever wrapper the API version uses. */
const entriesOf = <T>(body: unknown): T[] =>
  Array.isArray(body)
    ? (body as T[])
    : ((body as { mediaLibraryEntries?: T[]; results?: T[] }).mediaLibraryEntries ??
      (body as { results: T[] }).results)
const BEFORE = 15
const DURING = 40

interface Acknowledged {
  /** Entries of API imports whose answer arrived before the backup started. */
  ids: string[]
  /** URL-imported entries (externalId) visible through the API before the backup started. */
  urlItems: string[]
}

describe.each(DIALECTS)('medialib backup and restore (%s)', (dialect) => {
  let db: TestDatabase
  let work: string
  let media: MediaServer
  const images = new Map<string, Buffer>()
  let serve: ServeProcess | undefined

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    work = mkdtempSync(path.join(tmpdir(), 'medialib-backup-'))
    media = await startMediaServer()
    for (let i = 0; i < BEFORE + DURING; i++) {
      const png = await makeImage('png', 16, 12, [i * 4, 255 - i * 4, (i * 37) % 256])
      images.set(`img-${i}`, png)
      // The later ones come slowly, so that the URL import is still storing blobs while the backup runs.
      media.routes.set(`/img-${i}.png`, { body: png, type: 'image/png', delayMs: i < BEFORE ? 0 : 100 })
    }
  })
  afterAll(async () => {
    await serve?.stop('SIGKILL')
    await media?.close()
    await db.drop()
    rmSync(work, { recursive: true, force: true })
  })

  it.runIf(dialect === 'postgres')('refuses PostgreSQL, pointing at pg_dump and the docs', async () => {
    const args = ['--database', db.config.databaseUrl!, '--data-dir', db.dataDir]
    expect((await runCli(['migrate', ...args])).code).toBe(0)
    const res = await runCli(['backup', '--to', path.join(work, 'pg-backup'), ...args])
    expect(res.code).toBe(1)
    expect(lines(res.stderr).at(-1)).toBe(
      'medialib: backup copies SQLite databases; for PostgreSQL use pg_dump, then sync the bucket (docs/operations.md)',
    )
  })

  it.runIf(dialect === 'sqlite')(
    'a backup taken during a running import restores every acknowledged entry with matching blobs',
    async () => {
      const dataDir = path.join(work, 'data')
      const env = { MEDIALIB_FETCH_ALLOW_CIDRS: '127.0.0.1/32', MEDIALIB_LOG_LEVEL: 'info' }
      serve = await startServeProcess(['--data-dir', dataDir], env)
      const token = serve.firstToken!
      const server = serve
      const urlImport = async (from: number, to: number) => {
        const images = Array.from({ length: to - from }, (_, k) => ({
          id: `img-${from + k}`,
          url: media.url(`/img-${from + k}.png`),
        }))
        const res = await request(server, 'POST', '/api/v1/import/images', {
          token,
          body: { systemName: 'backup', images },
        })
        expect(res.status).toBe(200)
        return (res.body as { id: string }).id
      }
      const finished = async (job: string) =>
        (
          (await request(server, 'GET', `/api/v1/import/images/status?id=${job}`, { token })).body as {
            finished: boolean
          }
        ).finished
      const visible = async (externalIds: string[]) => {
        const res = await request(
          server,
          'GET',
          `/api/v1/mediaLibrary?systemName=backup&externalId=${externalIds.join(',')}`,
          { token },
        )
        return entriesOf<{ externalId: string }>(res.body).map((e) => e.externalId)
      }

      // Acknowledged well before: a URL import that finished.
      const first = await urlImport(0, BEFORE)
      await expect.poll(() => finished(first), { timeout: 30_000, interval: 100 }).toBe(true)

      // Then a load that keeps running through the backup: API imports one batch after another, and a
      // slow URL import.
      const acknowledged: Acknowledged = { ids: [], urlItems: [] }
      const answered: { at: number; ids: string[] }[] = []
      let running = true
      let batch = 0
      let loadError: unknown
      const load = (async () => {
        while (running) {
          const ids = Array.from({ length: 100 }, (_, k) => `b${batch}-${k}`)
          batch++
          const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
            token,
            body: { mediaLibraryEntries: ids.map((id) => imageEntry({ id })) },
          })
          expect(res.status).toBe(200)
          answered.push({ at: Date.now(), ids })
        }
      })().catch((err: unknown) => {
        loadError = err
      })
      const second = await urlImport(BEFORE, BEFORE + DURING)
      // The backup starts once some items of the slow URL import are stored and visible.
      const duringIds = Array.from({ length: DURING }, (_, k) => `img-${BEFORE + k}`)
      let seen: string[] = []
      await expect
        .poll(async () => (seen = await visible(duringIds)).length, { timeout: 30_000, interval: 20 })
        .toBeGreaterThanOrEqual(4)
      const backupStart = Date.now()
      acknowledged.urlItems = [...Array.from({ length: BEFORE }, (_, k) => `img-${k}`), ...seen]
      acknowledged.ids = answered.filter((a) => a.at < backupStart).flatMap((a) => a.ids)
      const backupDir = path.join(work, 'backup')
      const backup = await runCli(['backup', '--to', backupDir, '--data-dir', dataDir])
      const backupEnd = Date.now()
      running = false
      await load
      expect(loadError).toBeUndefined()
      expect(backup.stderr).toBe(`using SQLite at ${path.join(dataDir, 'medialib.sqlite')}\n`)
      expect(backup.code).toBe(0)
      expect(lines(backup.stdout)[0]).toMatch(
        new RegExp(`^backed up the database and \\d+ blobs \\(\\d+ bytes\\) to ${backupDir}$`),
      )
      // The load really ran through the backup: answers arrived while it was being taken.
      expect(answered.some((a) => a.at > backupStart && a.at < backupEnd)).toBe(true)
      expect(seen.length).toBeLessThan(DURING)
      expect(acknowledged.ids.length).toBeGreaterThan(0)
      await expect.poll(() => finished(second), { timeout: 60_000, interval: 200 }).toBe(true)
      await serve.stop()
      serve = undefined

      // A damaged backup is refused before anything is written.
      const damaged = path.join(work, 'damaged')
      cpSync(backupDir, damaged, { recursive: true })
      const manifest = JSON.parse(readFileSync(path.join(damaged, 'manifest.json'), 'utf8')) as {
        blobs: { path: string }[]
      }
      const victim = path.join(damaged, manifest.blobs[0]!.path)
      writeFileSync(victim, Buffer.concat([readFileSync(victim), Buffer.from('!')]))
      const refusedDir = path.join(work, 'refused')
      const refused = await runCli(['restore', '--from', damaged, '--data-dir', refusedDir])
      expect(refused.code).toBe(1)
      expect(lines(refused.stderr).at(-1)).toBe(
        `medialib: the backup is damaged: ${victim} does not match its SHA-256 in manifest.json`,
      )
      expect(readdirSync(work)).not.toContain('refused')

      // Restored into a new data directory, a new server has every acknowledged entry and blob.
      const restoredDir = path.join(work, 'restored')
      const restored = await runCli(['restore', '--from', backupDir, '--data-dir', restoredDir])
      expect(restored.code).toBe(0)
      expect(lines(restored.stdout)[0]).toMatch(
        new RegExp(
          `^restored the database and \\d+ blobs from ${backupDir} \\(backup of .+\\); every SHA-256 verified$`,
        ),
      )
      serve = await startServeProcess(['--data-dir', restoredDir], env)
      const again = serve
      for (let i = 0; i < acknowledged.ids.length; i += 100) {
        const chunk = acknowledged.ids.slice(i, i + 100)
        const res = await request(again, 'GET', `/api/v1/mediaLibrary?ids=${chunk.join(',')}`, { token })
        expect(entriesOf(res.body)).toHaveLength(chunk.length)
      }
      for (const externalId of acknowledged.urlItems) {
        const res = await request(
          again,
          'GET',
          `/api/v1/mediaLibrary?systemName=backup&externalId=${externalId}`,
          { token },
        )
        const [entry] = entriesOf<{ asset: { key: string } }>(res.body)
        expect(entry, externalId).toBeDefined()
        const blob = await fetch(`${again.baseUrl}/api/v1/mediaLibrary/serve-image/${entry!.asset.key}`, {
          headers: { authorization: `Bearer ${token}` },
        })
        expect(blob.status).toBe(200)
        expect(sha(Buffer.from(await blob.arrayBuffer()))).toBe(sha(images.get(externalId)!))
      }
    },
    180_000,
  )
})
