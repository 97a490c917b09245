/**
 * The raw ceiling of the URL import: the same images, at the same concurrency, through bare tools with no
 * job queue, lease, SSRF checks, content sniffing, EXIF or validation: `fetch` each URL, hash the bytes,
 * read the dimensions (image-size), write the file to disk, and insert one row with the raw driver into a
 * schema made by medialib's own migrations (every index and trigger is the real one).
 */
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { imageSize } from 'image-size'
import pg from 'pg'
import { openRawSqlite, prepareSchema } from './import-ceiling.js'
import { benchEntry, ceilingRow, CEILING_COLUMNS } from './import-entries.js'
import type { BenchDatabase } from './import-server.js'

/** Images per second for `urls`, fetched by `concurrency` loops. */
export async function measureUrlCeiling(
  db: BenchDatabase,
  urls: readonly string[],
  concurrency: number,
): Promise<number> {
  await prepareSchema(db)
  const blobs = path.join(db.dataDir, 'ceiling-blobs')
  mkdirSync(blobs, { recursive: true })
  const text = `INSERT INTO media_entries (${CEILING_COLUMNS.join(', ')}) VALUES (${CEILING_COLUMNS.map(
    (_, i) => (db.dialect === 'sqlite' ? '?' : `$${i + 1}`),
  ).join(', ')})`
  let insert: (row: unknown[]) => Promise<void>
  let close: () => Promise<void>
  if (db.dialect === 'sqlite') {
    const sqlite = openRawSqlite(db.sqliteFile)
    const statement = sqlite.prepare(text)
    // No trigger fills the full-text index since migration 0006: the row's text goes in with it.
    const fts = sqlite.prepare('INSERT INTO media_entries_fts(rowid, search_text) VALUES (?, ?)')
    const insertRow = sqlite.transaction((row: unknown[]) => {
      const { lastInsertRowid } = statement.run(row)
      fts.run(lastInsertRowid, row[row.length - 1])
    })
    insert = async (row) => {
      insertRow(row)
    }
    close = async () => {
      sqlite.close()
    }
  } else {
    const pool = new pg.Pool({ connectionString: db.url, max: Math.min(concurrency, 10) })
    // pool.end() resolves once its idle clients are asked to end, not when they have: the benchmark's
    // DROP DATABASE … WITH (FORCE) right after could terminate one still closing, an 'error' on the pool
    // that, unheard, ended the whole run.
    pool.on('error', () => undefined)
    insert = async (row) => {
      await pool.query(text, row)
    }
    close = () => pool.end()
  }
  const timestamp = new Date().toISOString()
  let next = 0
  const start = performance.now()
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < urls.length; i = next++) {
          const res = await fetch(urls[i]!)
          if (!res.ok) throw new Error(`${urls[i]}: ${res.status}`)
          const bytes = Buffer.from(await res.arrayBuffer())
          const sha = createHash('sha256').update(bytes).digest('hex')
          const { width, height } = imageSize(bytes)
          const key = `${sha}.png`
          writeFileSync(path.join(blobs, key), bytes)
          const entry = benchEntry(i, 'url-ceiling')
          entry.asset = { ...entry.asset, key, size: bytes.length, width, height, mimeType: 'image/png' }
          await insert(ceilingRow(entry, timestamp))
        }
      }),
    )
    return urls.length / ((performance.now() - start) / 1000)
  } finally {
    await close()
  }
}
