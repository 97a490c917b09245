import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { runCli, startServeProcess, type ServeProcess } from '../helpers/process.js'
import { startStorage, STORAGES, type TestStorage } from '../helpers/s3.js'
import { sha256Of, tusUpload, writeRandomFile } from '../helpers/tus.js'

const CASES = DIALECTS.flatMap((dialect) => STORAGES.map((store) => [dialect, store] as const))
const MB = 1024 * 1024
const BIG = 200 * MB

/** A real `medialib serve` SIGKILLed in the middle of a 200 MB tus upload; a new process resumes it (#18). */
describe.each(CASES)('tus upload across a server SIGKILL (%s, %s storage)', (dialect, store) => {
  let db: TestDatabase
  let storage: TestStorage
  const processes: ServeProcess[] = []
  let args: string[]

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    storage = await startStorage(store)
    const configFile = path.join(db.dataDir, 'serve.json')
    writeFileSync(configFile, JSON.stringify(storage.config))
    args = ['--data-dir', db.dataDir, '--config', configFile]
    if (db.config.databaseUrl) args.push('--database', db.config.databaseUrl)
  })
  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL')
    await db?.drop()
    await storage?.close()
  })

  const serve = async () => {
    const p = await startServeProcess(args)
    processes.push(p)
    return p
  }

  it('resumes where the killed process stopped and creates the entry once, byte for byte', async () => {
    const first = await serve()
    const token = first.firstToken!
    expect(token).toBeDefined()
    const mediaTypes = path.join(db.dataDir, 'media-types.json')
    writeFileSync(
      mediaTypes,
      JSON.stringify([
        { handle: 'image', type: 'mediaImage', metadata: [] },
        { handle: 'file', type: 'mediaFile', metadata: [], uploadRestrictions: { maxFileSize: '300mb' } },
      ]),
    )
    const updated = await runCli(['projects', 'update', 'default', '--media-types', mediaTypes, ...args])
    expect(updated.code, updated.stderr).toBe(0)
    // The running server sees the new media types within MEDIA_TYPES_RECHECK_MS.
    await new Promise((r) => setTimeout(r, 2_500))

    const file = path.join(db.dataDir, 'big.bin')
    const sha = await writeRandomFile(file, BIG)
    let killed: Promise<unknown> | undefined
    const cut = await tusUpload(`${first.baseUrl}/api/v1/uploads`, token, file, {
      onBytes: (sent) => {
        if (sent >= 80 * MB) killed ??= first.stop('SIGKILL')
      },
    })
    await killed
    expect(cut.error).toBeDefined()
    expect(cut.url).toBeTruthy()

    const second = await serve()
    const uploadUrl = `${second.baseUrl}${new URL(cut.url!).pathname}`
    const state = await fetch(uploadUrl, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' },
    })
    expect(state.status).toBe(200)
    const offset = Number(state.headers.get('upload-offset'))
    expect(offset).toBeGreaterThan(0)
    expect(offset).toBeLessThan(BIG)

    const done = await tusUpload(`${second.baseUrl}/api/v1/uploads`, token, file, { uploadUrl })
    expect(done.error).toBeUndefined()
    expect(done.entryId).toBeTruthy()
    const get = (p: string) =>
      fetch(`${second.baseUrl}${p}`, { headers: { authorization: `Bearer ${token}` } })
    const entry = (await (await get(`/api/v1/mediaLibrary/${done.entryId}`)).json()) as {
      asset: { key: string; size: number }
    }
    expect(entry.asset.size).toBe(BIG)
    expect(await sha256Of((await get(`/api/v1/mediaLibrary/serve-image/${entry.asset.key}`)).body)).toBe(sha)
    const list = (await (await get('/api/v1/mediaLibrary?limit=10')).json()) as {
      mediaLibraryEntries: unknown[]
    }
    expect(list.mediaLibraryEntries).toHaveLength(1)
  }, 240_000)
})
