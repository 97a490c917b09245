import path from 'node:path'
import SQLite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SQLITE_FILE_NAME } from '../../src/db/database.js'
import { createMediaTypesUpdate } from '../../src/projects/media-types-update.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

type Page = { results: { id: string }[]; cursor: string | null }

/**
 * FTS5's own check that its index and the content table (media_entries) agree, row for row and token for
 * token; throws SQLITE_CORRUPT_VTAB when they differ.
 */
function ftsIntegrityCheck(file: string): void {
  const sqlite = new SQLite(file)
  try {
    sqlite
      .prepare(`INSERT INTO media_entries_fts(media_entries_fts, rank) VALUES ('integrity-check', 1)`)
      .run()
  } finally {
    sqlite.close()
  }
}

describe.each(DIALECTS)('full-text search with the default media types (%s)', (dialect) => {
  let server: TestServer
  const sqliteFile = () => path.join(server.db.config.dataDir, SQLITE_FILE_NAME)

  beforeAll(async () => {
    server = await startTestServer(dialect)
  })
  afterAll(async () => {
    await server.close()
  })

  const post = async (entries: Record<string, unknown>[]) => {
    const res = await request(server, 'POST', '/api/2026-01/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: entries },
    })
    expect(res.status).toBe(200)
    return (res.body as { results: { ok: boolean }[] }).results
  }
  const ids = async (q: string) => {
    const res = await request(
      server,
      'GET',
      `/api/2026-01/mediaLibrary?q=${encodeURIComponent(q)}&limit=100`,
      {
        token: server.token,
      },
    )
    expect(res.status).toBe(200)
    return (res.body as Page).results.map((r) => r.id).sort()
  }

  it('finds entries by title, caption and description; not by source', async () => {
    const harbours = Array.from({ length: 23 }, (_, i) =>
      imageEntry({ id: `h${i}`, metadata: { title: `Harbour view ${i}`, source: 'Quayside agency' } }),
    )
    // Two batches, the second with an entry whose externalId the first already took: it is refused,
    // and the full text of the batch covers exactly the entries that landed.
    expect((await post(harbours.slice(0, 10))).every((r) => r.ok)).toBe(true)
    const clash = imageEntry({
      id: 'clash',
      externalId: harbours[0]!.externalId,
      metadata: { title: 'Harbour' },
    })
    const results = await post([...harbours.slice(10), clash])
    expect(results.map((r) => r.ok)).toEqual([...harbours.slice(10).map(() => true), false])
    await post([
      imageEntry({ id: 'cap', metadata: { title: 'Boats', caption: 'Zebra crossing at dawn' } }),
      imageEntry({ id: 'desc', metadata: { title: 'Boats', description: 'An old lighthouse' } }),
    ])

    expect(await ids('harbour')).toEqual(harbours.map((e) => e.id as string).sort())
    expect(await ids('zebra')).toEqual(['cap'])
    expect(await ids('lighthouse')).toEqual(['desc'])
    expect(await ids('quayside')).toEqual([]) // source is not indexed
    if (dialect === 'sqlite') ftsIntegrityCheck(sqliteFile())
  })

  it('keeps the index in step with PATCH', async () => {
    const res = await request(server, 'PATCH', '/api/2026-01/mediaLibrary/cap', {
      token: server.token,
      body: {
        patches: [{ operation: 'setMetadataProperty', propertyName: 'caption', value: 'Giraffe at noon' }],
      },
    })
    expect(res.status).toBe(200)
    expect(await ids('zebra')).toEqual([])
    expect(await ids('giraffe')).toEqual(['cap'])
    if (dialect === 'sqlite') ftsIntegrityCheck(sqliteFile())
  })

  it('rebuilds the search text of a project when its indexed properties change', async () => {
    // What `medialib projects update --media-types` applies: the image type indexes only `source` now.
    const update = createMediaTypesUpdate(server.deps)
    const current = (await server.deps.projects.get('default'))!.mediaTypes
    const onlySource = current.map((t) =>
      t.handle !== 'image'
        ? t
        : {
            ...t,
            metadata: [
              { handle: 'title', type: 'li-text' },
              { handle: 'caption', type: 'li-text' },
              { handle: 'source', type: 'li-text', config: { index: true } },
              { handle: 'description', type: 'li-text' },
            ],
          },
    ) as typeof current
    const check = await update.check('default', onlySource)
    expect(check.reindexedTypes).toEqual(['image'])
    expect((await update.apply('default', onlySource, check.reindexedTypes)).reindexed).toBe(25)
    expect(await ids('quayside')).toHaveLength(23)
    expect(await ids('harbour')).toEqual([])
    expect(await ids('giraffe')).toEqual([])
    // Filenames stay indexed.
    expect(await ids('photo')).toHaveLength(25)
    // Unchanged texts are not written again.
    expect((await update.apply('default', onlySource, ['image'])).reindexed).toBe(0)
    if (dialect === 'sqlite') ftsIntegrityCheck(sqliteFile())
  })

  if (dialect === 'sqlite') {
    it('the FTS5 integrity check fails when a row misses from the index', () => {
      const sqlite = new SQLite(sqliteFile())
      try {
        // A row written past the import (which fills the index per batch) is unknown to the index.
        sqlite
          .prepare(
            `INSERT INTO media_entries (project, id, version, media_type, asset, metadata, created_at, updated_at, search_text)
             VALUES ('default', 'stray', 1, 'image', '{}', '{}', '', '', 'stray words')`,
          )
          .run()
      } finally {
        sqlite.close()
      }
      expect(() => ftsIntegrityCheck(sqliteFile())).toThrow(/malformed|corrupt/i)
    })
  }
})
