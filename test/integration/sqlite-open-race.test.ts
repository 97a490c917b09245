import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/database.js'

/**
 * A second server opening a fresh SQLite file while the first is switching it to WAL: SQLite answers the
 * loser's switch with SQLITE_BUSY at once (it would deadlock waiting), which once stopped a server from
 * starting. Here another thread holds the write lock of a rollback-journal file for a moment.
 */
describe('opening a SQLite file another connection is writing (sqlite)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'medialib-open-race-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('waits for the writer and switches the file to WAL instead of failing', async () => {
    const file = path.join(dir, 'race.sqlite')
    const holder = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads')
      const SQLite = require(workerData.module)
      const db = new SQLite(workerData.file)
      db.exec('create table held (x)')
      db.exec('begin immediate')
      db.exec('insert into held values (1)')
      parentPort.postMessage('locked')
      setTimeout(() => { db.exec('commit'); db.close(); parentPort.postMessage('released') }, 400)
      `,
      { eval: true, workerData: { file, module: createRequire(import.meta.url).resolve('better-sqlite3') } },
    )
    const messages: string[] = []
    const released = new Promise<void>((resolve, reject) => {
      holder.on('message', (m: string) => {
        messages.push(m)
        if (m === 'released') resolve()
      })
      holder.on('error', reject)
    })
    await new Promise<void>((resolve) => holder.once('message', () => resolve()))
    expect(messages).toEqual(['locked'])

    const started = Date.now()
    const database = openDatabase({ url: `sqlite:${file}`, dataDir: dir })
    const waited = Date.now() - started
    try {
      const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(database.db)
      expect(rows[0]?.journal_mode).toBe('wal')
      const held = await sql<{ x: number }>`select x from held`.execute(database.db)
      expect(held.rows).toEqual([{ x: 1 }])
      expect(waited).toBeGreaterThan(100) // it did meet the lock
    } finally {
      await database.close()
      await released
      await holder.terminate()
    }
  })
})
