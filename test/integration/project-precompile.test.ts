import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProjectRepository } from '../../src/db/project.repository.js'
import type { Deps } from '../../src/deps.js'
import type { MediaTypeConfig } from '../../src/media/media-types/media-type.js'
import { DIALECTS } from '../helpers/dialects.js'
import { openTestDeps } from '../helpers/server.js'

describe.each(DIALECTS)('media types compiled at start (%s)', (dialect) => {
  let opened: Awaited<ReturnType<typeof openTestDeps>>
  let deps: Deps
  beforeAll(async () => {
    opened = await openTestDeps(dialect)
    deps = opened.deps
    for (const handle of ['alpha', 'beta']) await deps.projects.create(handle)
  })
  afterAll(async () => opened?.close())

  it('compiles at most the given number of projects, and later lookups use the compiled set', async () => {
    expect(await deps.projects.precompile(2)).toEqual({ compiled: 2, failed: [] })
    expect(await deps.projects.precompile(100)).toEqual({ compiled: 3, failed: [] })
    const image = (await deps.projects.mediaTypesOf('beta')).get('image')
    expect(image?.config.handle).toBe('image')
    expect((await deps.projects.mediaTypesOf('beta')).get('image')).toBe(image)
  })

  it('reports a project whose stored media types do not compile, and compiles the others', async () => {
    // Written past the service's checks, as a damaged row or an older version's config would be.
    const broken = [{ handle: 'image', type: 'image', metadata: null }] as unknown as MediaTypeConfig[]
    await createProjectRepository(deps.database).create('aaa-broken', broken)
    const result = await deps.projects.precompile(100)
    expect(result.compiled).toBe(3)
    expect(result.failed).toEqual([{ project: 'aaa-broken', error: expect.any(String) }])
    await expect(deps.projects.mediaTypesOf('aaa-broken')).rejects.toThrow()
    expect((await deps.projects.mediaTypesOf('alpha')).get('image')?.config.handle).toBe('image')
  })
})
