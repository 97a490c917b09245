import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDeps, type Deps } from '../../src/deps.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { startMediaServer, type MediaServer } from '../helpers/media-server.js'
import { CLI, cleanEnv } from '../helpers/process.js'

/** Every file (not folder) under `dir`, with its size. */
function filesUnder(dir: string): { file: string; size: number }[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile())
    .map((file) => ({ file, size: statSync(file).size }))
}

/**
 * Issue 13, finding 8: a worker killed mid-download left its partial `.download` file in the temp directory
 * forever. Now the next worker to start removes it, and the directory is empty once the item is done.
 */
describe.each(DIALECTS)('partial downloads after a crash (%s)', (dialect) => {
  let db: TestDatabase
  let deps: Deps
  let media: MediaServer
  const children: ChildProcess[] = []

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    deps = await createDeps(db.config, { warn: () => undefined })
    await deps.projects.ensure(DEFAULT_PROJECT)
    media = await startMediaServer()
    // Noise, so that the PNG is larger than the 512 KiB a worker holds in memory: it streams to a temp file.
    const body = await sharp({
      create: {
        width: 800,
        height: 600,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .png()
      .toBuffer()
    expect(body.length).toBeGreaterThan(512 * 1024)
    // The first fetch sends half the bytes and then stalls (the kill lands there); later fetches are whole.
    media.routes.set('/big.png', (hit) =>
      hit === 1 ? { body, type: 'image/png', stallAfterHalfMs: 60_000 } : { body, type: 'image/png' },
    )
  })
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await deps?.close()
    await db?.drop()
    await media?.close()
  })

  const startWorker = () => {
    const configFile = path.join(db.dataDir, 'worker.yaml')
    writeFileSync(
      configFile,
      JSON.stringify({
        jobs: { leaseMs: 1_000, pollMs: 50, retryBaseMs: 50, maxRetries: 3, inProcessWorker: false },
      }),
    )
    const env: Record<string, string> = {
      MEDIALIB_DATA_DIR: db.dataDir,
      MEDIALIB_CONFIG: configFile,
      MEDIALIB_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
      MEDIALIB_LOG_LEVEL: 'warn',
    }
    if (db.config.databaseUrl) env.MEDIALIB_DATABASE_URL = db.config.databaseUrl
    const child = spawn(process.execPath, [CLI, 'worker'], { env: cleanEnv(env), stdio: 'ignore' })
    children.push(child)
    return child
  }

  it('removes the partial file of a SIGKILLed worker; the temp directory is empty once the item is done', async () => {
    const tmpDir = path.join(db.dataDir, 'tmp', 'url-import')
    const jobId = await deps.urlImports.queue(DEFAULT_PROJECT, 'images', {
      systemName: 'crash',
      items: [{ id: 'big', url: media.url('/big.png') }],
    })

    const first = startWorker()
    const until = Date.now() + 20_000
    while (!filesUnder(tmpDir).some((f) => f.file.endsWith('.download') && f.size > 0)) {
      if (Date.now() > until) throw new Error('the download never started')
      await new Promise((r) => setTimeout(r, 20))
    }
    first.kill('SIGKILL')
    await once(first, 'exit')
    const left = filesUnder(tmpDir)
    expect(left.length).toBe(1)
    expect(left[0]!.size).toBeGreaterThan(0)

    const second = startWorker()
    const deadline = Date.now() + 30_000
    let job = await deps.importJobs.getById(jobId)
    while (job?.state === 'started') {
      if (Date.now() > deadline) throw new Error('job not finished')
      await new Promise((r) => setTimeout(r, 50))
      job = await deps.importJobs.getById(jobId)
    }
    const [item] = await deps.importJobs.items(jobId)
    expect(item?.state).toBe('success')
    expect(media.hits.get('/big.png')).toBe(2)
    expect(filesUnder(tmpDir)).toEqual([])
    second.kill('SIGTERM')
    await once(second, 'exit')
  })
})
