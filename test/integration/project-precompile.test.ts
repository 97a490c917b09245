import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Deps } from '../../src/deps.js'
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
    expect(await deps.projects.precompile(2)).toBe(2)
    expect(await deps.projects.precompile(100)).toBe(3)
    const image = (await deps.projects.mediaTypesOf('beta')).get('image')
    expect(image?.config.handle).toBe('image')
    expect((await deps.projects.mediaTypesOf('beta')).get('image')).toBe(image)
  })
})
