import { PutObjectCommand } from '@aws-sdk/client-s3'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDeps, type Deps } from '../../src/deps.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { makeImage } from '../helpers/media-server.js'
import { startWorkerProcess } from '../helpers/process.js'
import { s3rverClient, startS3Process } from '../helpers/s3.js'

/** Enough batch tasks (of 2 objects) that both workers are busy for a while. */
const FILES = 240

/**
 * Two `medialib worker` processes started together on one scan (issue #22): they split its tasks (both take
 * some) and each object ends with exactly one entry, one record and one result, on a disk source and on an
 * S3 source (s3rver), on both databases (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the claim's
 * re-checking update, one writer at a time).
 */
describe.each(DIALECTS)('two workers scanning one source (%s)', (dialect) => {
  let db: TestDatabase
  let deps: Deps
  let dir: string
  let s3: Awaited<ReturnType<typeof startS3Process>>
  const children: ChildProcess[] = []

  const widthOf = (i: number) => 8 + (i % 50)
  const relOf = (i: number) => `f-${i % 5}/s-${i % 3}/img-${String(i).padStart(3, '0')}.png`

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    s3 = await startS3Process('two-workers-source')
    // Blobs on disk; the S3 source's credentials and checksum settings come from storage.s3, as in a worker.
    deps = await createDeps(
      { ...db.config, storage: { ...db.config.storage, s3: s3.storage.s3 } },
      { warn: () => undefined },
    )
    await deps.projects.ensure(DEFAULT_PROJECT)
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-scan-two-'))
    const client = s3rverClient(s3.storage)
    for (let i = 0; i < FILES; i++) {
      const bytes = await makeImage('png', widthOf(i), 6)
      const file = path.join(dir, relOf(i))
      mkdirSync(path.dirname(file), { recursive: true })
      writeFileSync(file, bytes)
      await client.send(
        new PutObjectCommand({ Bucket: 'two-workers-source', Key: `in/${relOf(i)}`, Body: bytes }),
      )
    }
    client.destroy()
  }, 120_000)
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await deps?.close()
    await db?.drop()
    await s3?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** A worker process, resolved once it logged its start (so both are polling before the scan is queued). */
  const startWorker = async () => {
    const child = startWorkerProcess(db, {
      args: ['--concurrency', '2'],
      env: {
        MEDIALIB_LOG_LEVEL: 'info',
        MEDIALIB_S3_ACCESS_KEY_ID: 'S3RVER',
        MEDIALIB_S3_SECRET_ACCESS_KEY: 'S3RVER',
        MEDIALIB_S3_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
        MEDIALIB_S3_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      },
    })
    children.push(child)
    let out = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start: ${out}`)), 30_000)
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes('medialib worker started')) {
          clearTimeout(timer)
          resolve()
        }
      })
      child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${out}`)))
    })
    return child
  }

  it.each(['disk', 's3'] as const)(
    'a %s source: both workers take tasks, each object once',
    async (kind) => {
      const handle = `two-${kind}`
      if (kind === 'disk') await deps.sources.add(DEFAULT_PROJECT, handle, { kind: 'disk', dir })
      else
        await deps.sources.add(DEFAULT_PROJECT, handle, {
          kind: 's3',
          bucket: 'two-workers-source',
          prefix: 'in/',
          endpoint: s3.storage.s3.endpoint,
          forcePathStyle: true,
        })
      const workers = await Promise.all([startWorker(), startWorker()])
      try {
        const scan = await deps.sources.startScan(DEFAULT_PROJECT, handle, { pageSize: 60, batchSize: 2 })
        const deadline = Date.now() + 150_000
        let status = (await deps.sources.scanStatus(DEFAULT_PROJECT, handle, scan.id))!
        while (status.state === 'running') {
          if (Date.now() > deadline) throw new Error(`scan not finished: ${JSON.stringify(status)}`)
          await new Promise((r) => setTimeout(r, 100))
          status = (await deps.sources.scanStatus(DEFAULT_PROJECT, handle, scan.id))!
        }
        expect(status.state, JSON.stringify(status)).toBe('done')
        expect(status.counts).toEqual({ created: FILES, updated: 0, unchanged: 0, missing: 0, failed: 0 })

        // The two workers split the scan's tasks: each ran some (the `worker` a task was last claimed by).
        const tasks = await deps.database.db
          .selectFrom('source_scan_tasks')
          .select(['state', 'worker'])
          .where('job_id', '=', scan.id)
          .execute()
        expect(new Set(tasks.map((t) => t.state))).toEqual(new Set(['done']))
        expect(new Set(tasks.map((t) => t.worker)).size).toBe(2)

        // Each object once: one entry per path, one record naming it, the width of its own file.
        const page = await deps.library.search(DEFAULT_PROJECT, { systemName: handle, limit: 1000 })
        expect(page.entries).toHaveLength(FILES)
        const byPath = new Map(page.entries.map((e) => [e.externalId, e]))
        expect(byPath.size).toBe(FILES)
        for (let i = 0; i < FILES; i++) expect(byPath.get(relOf(i))?.asset.width).toBe(widthOf(i))
        const records = await deps.database.db
          .selectFrom('source_objects')
          .select(['path', 'entry_id'])
          .where('project', '=', DEFAULT_PROJECT)
          .where('source', '=', handle)
          .execute()
        expect(records).toHaveLength(FILES)
        for (const r of records) expect(byPath.get(r.path)?.id).toBe(r.entry_id)
      } finally {
        for (const w of workers) w.kill('SIGTERM')
        await Promise.all(workers.map((w) => (w.exitCode === null ? once(w, 'exit') : undefined)))
      }
    },
    240_000,
  )
})
