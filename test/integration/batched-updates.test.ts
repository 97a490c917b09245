import { CompiledQuery } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createJobQueueRepository } from '../../src/db/job-queue.repository.js'
import { createMediaEntryRepository } from '../../src/db/media-entry.repository.js'
import type { Database } from '../../src/db/database.js'
import type { Deps } from '../../src/deps.js'
import type { ImportItem } from '../../src/jobs/import-job.js'
import { toRecord } from '../../src/media/entry.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { DIALECTS } from '../helpers/dialects.js'
import { recordingDatabase } from '../helpers/recording.js'
import { openTestDeps } from '../helpers/server.js'
import { fullScans, planOf } from '../e2e/media-library-explain.js'

/**
 * The URL-import worker's batched writes (one `UPDATE … FROM (VALUES …)` for the items or entries of a group
 * commit): each row gets exactly its own values, rows another worker holds are left alone and reported so,
 * and each statement finds its rows by index.
 */
describe.each(DIALECTS)('batched updates of the URL-import worker (%s)', (dialect) => {
  let opened: Awaited<ReturnType<typeof openTestDeps>>
  let deps: Deps
  let database: Database
  beforeAll(async () => {
    opened = await openTestDeps(dialect)
    deps = opened.deps
    database = deps.database
  })
  afterAll(async () => opened?.close())

  /** An import entry with a one-pixel image asset. */
  const input = (id: string) => ({
    id,
    mediaType: 'image',
    asset: {
      key: `k/${id}.png`,
      url: `https://cdn.example.test/${id}.png`,
      mimeType: 'image/png',
      filename: `${id}.png`,
      size: 1,
      width: 1,
      height: 1,
    },
    metadata: {},
  })

  /** A job of `count` items, all claimed by `worker`. */
  const claimed = async (name: string, count: number, worker = 'w1'): Promise<ImportItem[]> => {
    await deps.urlImports.queue(DEFAULT_PROJECT, 'images', {
      systemName: name,
      items: Array.from({ length: count }, (_, i) => ({
        id: `${name}-${i}`,
        url: `http://example.test/${i}.png`,
      })),
    })
    const lease = new Date(Date.now() + 60_000)
    const items = await deps.importJobs.claim(worker, count, new Date(), lease)
    expect(items).toHaveLength(count)
    return items.sort((a, b) => a.idx - b.idx)
  }
  const itemRows = async (jobId: string) => (await deps.importJobs.items(jobId)).sort((a, b) => a.idx - b.idx)

  it('finishMany: each outcome as finish records it; an item this worker no longer holds is untouched', async () => {
    const [a, b, c, d, e] = await claimed('finish', 5)
    const queue = createJobQueueRepository(database)
    // e's lease went to another worker: this worker's outcome must not land.
    await queue.finish(e!, 'w1', { state: 'retry', reason: 'lost', at: new Date() }, new Date())
    await deps.importJobs.claim('w2', 1, new Date(), new Date(Date.now() + 60_000))
    // c holds a result of an earlier attempt (as a stand-in): a retry must leave it as it is.
    await database.db
      .updateTable('import_items')
      .set({ result: JSON.stringify({ earlier: true }) })
      .where('job_id', '=', c!.jobId)
      .where('idx', '=', c!.idx)
      .execute()
    const dueOf = async (item: ImportItem) =>
      database.caps.fromTime(
        (
          await database.db
            .selectFrom('import_items')
            .select('next_attempt_at')
            .where('job_id', '=', item.jobId)
            .where('idx', '=', item.idx)
            .executeTakeFirstOrThrow()
        ).next_attempt_at,
      )
    const aDue = await dueOf(a!)
    const at = new Date(Date.now() + 3_600_000)
    const mine = await queue.finishMany(
      [
        {
          item: a!,
          worker: 'w1',
          outcome: { state: 'success', result: { image: { mediaId: 'm-a', n: 1 } } },
        },
        {
          item: b!,
          worker: 'w1',
          outcome: { state: 'failed', reason: 'HTTP 404 from http://example.test/1.png' },
        },
        { item: c!, worker: 'w1', outcome: { state: 'retry', reason: 'connection reset', at } },
        {
          item: d!,
          worker: 'w1',
          outcome: { state: 'skipped', reason: 'already exists', result: { mediaId: 'm-d' } },
        },
        { item: e!, worker: 'w1', outcome: { state: 'success', result: { mediaId: 'not mine' } } },
      ],
      new Date(),
    )
    expect(mine).toEqual([true, true, true, true, false])
    const rows = await itemRows(a!.jobId)
    expect(rows.map((r) => [r.state, r.reason ?? null])).toEqual([
      ['success', null],
      ['failed', 'HTTP 404 from http://example.test/1.png'],
      ['queued', 'connection reset'],
      ['skipped', 'already exists'],
      ['running', 'lost'],
    ])
    expect(rows[0]!.result).toEqual({ image: { mediaId: 'm-a', n: 1 } })
    expect(rows[3]!.result).toEqual({ mediaId: 'm-d' })
    expect(rows[2]!.result).toEqual({ earlier: true })
    expect(await dueOf(c!)).toBe(at.toISOString())
    // Any other outcome leaves the next attempt's time alone.
    expect(await dueOf(a!)).toBe(aDue)
    expect(rows[4]!.result).toBeUndefined()
  })

  it('finishMany: an item named twice gets its first outcome; more rows than one statement takes', async () => {
    const [x, y] = await claimed('twice', 2)
    const queue = createJobQueueRepository(database)
    const mine = await queue.finishMany(
      [
        { item: x!, worker: 'w1', outcome: { state: 'success', result: { mediaId: 'first' } } },
        { item: y!, worker: 'w1', outcome: { state: 'failed', reason: 'y' } },
        { item: x!, worker: 'w1', outcome: { state: 'failed', reason: 'second' } },
      ],
      new Date(),
    )
    expect(mine).toEqual([true, true, false])
    const rows = await itemRows(x!.jobId)
    expect(rows.map((r) => [r.state, r.reason ?? null, r.result ?? null])).toEqual([
      ['success', null, { mediaId: 'first' }],
      ['failed', 'y', null],
    ])

    const many = await claimed('many', 520)
    const done = await queue.finishMany(
      many.map((item) => ({ item, worker: 'w1', outcome: { state: 'skipped', reason: `r${item.idx}` } })),
      new Date(),
    )
    expect(done.every(Boolean)).toBe(true)
    const stored = await itemRows(many[0]!.jobId)
    expect(stored).toHaveLength(520)
    expect(stored.every((r) => r.state === 'skipped' && r.reason === `r${r.idx}`)).toBe(true)
  })

  it('setBlobKeys: each item its own key (or none), only where this worker holds it', async () => {
    const items = await claimed('keys', 3)
    const queue = createJobQueueRepository(database)
    await queue.setBlobKeys([
      { item: items[0]!, worker: 'w1', key: 'images/2026/12/a.png' },
      { item: items[1]!, worker: 'w1', key: null },
      { item: items[2]!, worker: 'other', key: 'images/2026/12/c.png' },
    ])
    await queue.setBlobKey(items[1]!, 'w1', 'images/2026/12/b.png')
    await queue.setBlobKeys([
      { item: items[1]!, worker: 'w1', key: null },
      { item: items[0]!, worker: 'w1', key: 'images/2026/12/a1.png' },
      // Named twice: the last key wins, as one update after the other would leave it.
      { item: items[0]!, worker: 'w1', key: 'images/2026/12/a2.png' },
    ])
    const rows = await itemRows(items[0]!.jobId)
    expect(rows.map((r) => r.blobKey ?? null)).toEqual(['images/2026/12/a2.png', null, null])
  })

  it('setContentShas: each entry its own hash, in its project only', async () => {
    await deps.projects.create('other-shas')
    const types = await deps.projects.mediaTypesOf(DEFAULT_PROJECT)
    const made = await deps.importer.importEntries(
      DEFAULT_PROJECT,
      types,
      ['sha-1', 'sha-2', 'sha-3'].map(input),
    )
    expect(
      made.map((r) => r.ok),
      JSON.stringify(made),
    ).toEqual([true, true, true])
    await deps.importer.importEntries('other-shas', await deps.projects.mediaTypesOf('other-shas'), [
      input('sha-1'),
    ])
    const entries = createMediaEntryRepository(database)
    await entries.setContentShas(DEFAULT_PROJECT, [
      { id: 'sha-1', sha256: 'a'.repeat(64) },
      { id: 'sha-3', sha256: 'c'.repeat(64) },
    ])
    expect(await entries.getContentSha(DEFAULT_PROJECT, 'sha-1')).toBe('a'.repeat(64))
    expect(await entries.getContentSha(DEFAULT_PROJECT, 'sha-2')).toBeUndefined()
    expect(await entries.getContentSha(DEFAULT_PROJECT, 'sha-3')).toBe('c'.repeat(64))
    expect(await entries.getContentSha('other-shas', 'sha-1')).toBeUndefined()
  })

  it('importEntries with contentSha256: each new entry holds its own hash from its insert on', async () => {
    const types = await deps.projects.mediaTypesOf(DEFAULT_PROJECT)
    const entries = createMediaEntryRepository(database)
    await deps.importer.importEntries(DEFAULT_PROJECT, types, [input('ins-taken')])
    // A taken id keeps its row as it was (no hash); an entry without one stays null; a refused entry
    // (no asset) takes nothing.
    const made = await deps.importer.importEntries(
      DEFAULT_PROJECT,
      types,
      [
        input('ins-1'),
        input('ins-taken'),
        input('ins-2'),
        { id: 'ins-bad', mediaType: 'image' },
        input('ins-3'),
      ],
      { contentSha256: ['1'.repeat(64), 't'.repeat(64), undefined, 'b'.repeat(64), '3'.repeat(64)] },
    )
    expect(made.map((r) => r.ok)).toEqual([true, false, true, false, true])
    const shas = await Promise.all(
      ['ins-1', 'ins-taken', 'ins-2', 'ins-bad', 'ins-3'].map((id) =>
        entries.getContentSha(DEFAULT_PROJECT, id),
      ),
    )
    expect(shas).toEqual(['1'.repeat(64), undefined, undefined, undefined, '3'.repeat(64)])
    // Not a field of the record an import answers with.
    const first = made[0]!
    expect(first.ok && JSON.stringify(toRecord(first.entry))).not.toContain('1'.repeat(64))
  })

  it('each batched statement finds its rows by index, never by reading a whole table', async () => {
    const items = await claimed('plans', 2)
    const { database: recorded, captured } = recordingDatabase(database)
    const queue = createJobQueueRepository(recorded)
    await queue.setBlobKeys(items.map((item) => ({ item, worker: 'w1', key: null })))
    await queue.finishMany(
      items.map((item) => ({ item, worker: 'w1', outcome: { state: 'failed', reason: 'x' } })),
      new Date(),
    )
    await createMediaEntryRepository(recorded).setContentShas(DEFAULT_PROJECT, [
      { id: 'sha-1', sha256: 'd'.repeat(64) },
      { id: 'sha-2', sha256: 'e'.repeat(64) },
    ])
    const updates = captured.filter((q) => /^update /i.test(q.sql.trim()))
    expect(updates).toHaveLength(3)
    for (const query of updates) {
      expect(query.sql).toMatch(/from \(values/i)
      const plan = await planOf(database, CompiledQuery.raw(query.sql, [...query.parameters]))
      // `v` is the statement's own VALUES list.
      expect(
        fullScans(plan).filter((line) => !/SCAN v\b/.test(line) && !/Values Scan/.test(line)),
        `${query.sql}\n${plan.join('\n')}`,
      ).toEqual([])
    }
  })
})
