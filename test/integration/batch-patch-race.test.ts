import { afterEach, describe, expect, it } from 'vitest'
import { createMediaEntryRepository } from '../../src/db/media-entry.repository.js'
import { createAjv } from '../../src/media/ajv.js'
import { patchMany } from '../../src/media/batch-patch.js'
import { createEntryValidator } from '../../src/media/entry-validator.js'
import type { MediaEntry } from '../../src/media/entry.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { openTestDeps } from '../helpers/server.js'

const setTitle = (value: string) => [
  { operation: 'setMetadataProperty' as const, propertyName: 'title', value },
]

describe.each(DIALECTS)('batch PATCH racing another writer (%s)', (dialect) => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => {
    await close?.()
  })

  it('keeps nothing of the batched write when an entry moved after the read, and applies the batch one by one', async () => {
    const opened = await openTestDeps(dialect)
    close = opened.close
    const { deps } = opened
    const project = DEFAULT_PROJECT
    const mediaTypes = await deps.projects.mediaTypesOf(project)
    const imported = await deps.importer.importEntries(project, mediaTypes, [imageEntry(), imageEntry()])
    const [a, b] = imported.map((r) => (r.ok ? r.entry : undefined)) as [MediaEntry, MediaEntry]

    const entries = createMediaEntryRepository(deps.database)
    let raced = false
    const racing = {
      ...entries,
      // Right after the batch has read its entries, another writer patches `b`.
      async listByIds(p: string, ids: readonly string[]) {
        const read = await entries.listByIds(p, ids)
        if (!raced) {
          raced = true
          await deps.library.patch(project, b.id, { patches: setTitle('other writer') })
        }
        return read
      },
    }
    const outcomes = await patchMany(
      {
        entries: racing,
        validator: createEntryValidator(createAjv()),
        mediaTypesOf: (p) => deps.projects.mediaTypesOf(p),
        patch: (p, id, request) => deps.library.patch(p, id, request),
      },
      project,
      [
        { id: a.id, request: { version: 1, patches: setTitle('batch a') } },
        { id: b.id, request: { version: 1, patches: setTitle('batch b') } },
      ],
    )
    expect(raced).toBe(true)
    // One by one, b's pinned version 1 is now a conflict; a is written once (version 2, not 3).
    expect(outcomes.map((o) => [o.id, o.ok])).toEqual([
      [a.id, true],
      [b.id, false],
    ])
    expect(await deps.library.getOrFail(project, a.id)).toMatchObject({
      version: 2,
      metadata: { title: 'batch a' },
    })
    expect(await deps.library.getOrFail(project, b.id)).toMatchObject({
      version: 2,
      metadata: { title: 'other writer' },
    })
  })
})
