import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalizeMediaTypes } from '../../src/media/media-types/media-types-config.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { runCli } from '../helpers/process.js'
import { openTestDeps } from '../helpers/server.js'

type Opened = Awaited<ReturnType<typeof openTestDeps>>

describe.each(DIALECTS)('deletion routines (%s)', (dialect) => {
  let t: Opened
  beforeAll(async () => {
    t = await openTestDeps(dialect)
    await t.deps.projects.create(
      'routines',
      normalizeMediaTypes([
        {
          handle: 'image',
          type: 'mediaImage',
          metadata: ['title', 'caption', 'source'].map((handle) => ({ handle, type: 'li-text' })),
          deletionRoutine: { olderThanDays: 30, used: false },
        },
      ]),
    )
    const mediaTypes = await t.deps.projects.mediaTypesOf('routines')
    const ids = ['old-unused', 'old-used', 'old-protected', 'new-unused']
    const results = await t.deps.importer.importEntries(
      'routines',
      mediaTypes,
      ids.map((id) => imageEntry({ id })),
    )
    expect(results.every((r) => r.ok)).toBe(true)
    await t.deps.library.patch('routines', 'old-used', {
      patches: [{ operation: 'addUsageLogEntry', value: { purpose: 'web' } }],
    })
    await t.deps.library.patch('routines', 'old-protected', { patches: [{ operation: 'storeInArchive' }] })
    const old = t.deps.database.caps.toTime(new Date(Date.now() - 40 * 86_400_000))
    await sql`UPDATE media_entries SET created_at = ${old} WHERE project = 'routines' AND id LIKE 'old-%'`.execute(
      t.deps.database.db,
    )
  })
  afterAll(async () => {
    await t?.close()
  })

  it('refuses a routine that could delete used entries, naming the problem', () => {
    expect(() =>
      normalizeMediaTypes([{ handle: 'image', type: 'mediaImage', deletionRoutine: { olderThanDays: 0 } }]),
    ).toThrow(
      /olderThanDays must be a whole number from 1 to 36500[\s\S]*used must be false: only unused entries are ever deleted/,
    )
  })

  it('--dry-run lists the old, unused, unprotected entries and deletes nothing', async () => {
    const args = [
      '--data-dir',
      t.db.dataDir,
      ...(t.db.config.databaseUrl ? ['--database', t.db.config.databaseUrl] : []),
    ]
    const cli = await runCli(['routines', 'run', '--dry-run', '--project', 'routines', ...args])
    expect(cli.code).toBe(0)
    expect(cli.stdout).toMatch(/routines\s+image\s+old-unused/)
    expect(cli.stdout).not.toMatch(/old-used|old-protected|new-unused/)
    expect(cli.stdout).toMatch(/routines\s+image\s+30\s+any\s+1\s+\(dry run\)\s+0/)
    expect((await t.deps.library.getOrFail('routines', 'old-unused')).id).toBe('old-unused')
  })

  it('a run moves exactly those to the trash, as a delete would', async () => {
    const [report] = await t.deps.deletionRoutines.run({ project: 'routines' })
    expect(report).toMatchObject({ mediaType: 'image', ids: ['old-unused'], deleted: 1, skipped: 0 })
    expect((await t.deps.trash.list('routines')).map((e) => e.id)).toEqual(['old-unused'])
    for (const id of ['old-used', 'old-protected', 'new-unused']) {
      expect((await t.deps.library.getOrFail('routines', id)).id).toBe(id)
    }
    // Nothing left to do.
    expect((await t.deps.deletionRoutines.run({ project: 'routines' }))[0]).toMatchObject({
      ids: [],
      deleted: 0,
    })
  })
})
