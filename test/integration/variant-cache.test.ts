import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createImageVariantRepository } from '../../src/db/image-variant.repository.js'
import { createVariantCache } from '../../src/media/variant-cache.js'
import { DIALECTS } from '../helpers/dialects.js'
import { openTestDeps } from '../helpers/server.js'

describe.each(DIALECTS)('variant cache: bounded size, least recently used out (%s)', (dialect) => {
  let opened: Awaited<ReturnType<typeof openTestDeps>>
  beforeAll(async () => {
    opened = await openTestDeps(dialect)
  })
  afterAll(async () => {
    await opened?.close()
  })

  it('evicts the least recently used variants, files and rows, once the total passes the bound', async () => {
    const repository = createImageVariantRepository(opened.deps.database)
    let clock = 1_000_000
    const cache = createVariantCache({
      blobs: opened.deps.blobs,
      repository,
      maxBytes: 3_000,
      now: () => clock,
    })
    const kb = (n: number) => Buffer.alloc(1_000, n)
    await cache.put('default', 'v/a/1.png', kb(1), 'image/png')
    clock += 1_000
    await cache.put('default', 'v/a/2.png', kb(2), 'image/png')
    clock += 1_000
    await cache.put('default', 'v/b/3.png', kb(3), 'image/png')
    expect(await repository.totalBytes()).toBe(3_000)
    // The first is read again (a minute later, so the access is recorded): the second is now the oldest.
    clock += 60_000
    expect((await cache.get('default', 'v/a/1.png'))?.equals(kb(1))).toBe(true)
    await new Promise((r) => setTimeout(r, 50))
    clock += 1_000
    await cache.put('default', 'v/b/4.png', kb(4), 'image/png')
    // Over 3,000 bytes: evicted down to 90 % (2,700), oldest first: 2 and 3 go.
    expect(await cache.get('default', 'v/a/2.png')).toBeUndefined()
    expect(await cache.get('default', 'v/b/3.png')).toBeUndefined()
    expect((await cache.get('default', 'v/a/1.png'))?.equals(kb(1))).toBe(true)
    expect((await cache.get('default', 'v/b/4.png'))?.equals(kb(4))).toBe(true)
    expect(await repository.totalBytes()).toBe(2_000)
    expect((await repository.oldest(10)).map((v) => v.key)).toEqual(['v/a/1.png', 'v/b/4.png'])
  })

  it('keeps hot variants in memory, bounded in bytes, least recently used out', async () => {
    const repository = createImageVariantRepository(opened.deps.database)
    const cache = createVariantCache({
      blobs: opened.deps.blobs,
      repository,
      maxBytes: 1_000_000,
      memoryBytes: 16_000,
    })
    const files = opened.deps.blobs.derived('default')
    const body = (n: number) => Buffer.alloc(1_000, n)
    await cache.put('default', 'v/m/1.png', body(1), 'image/png')
    await cache.put('default', 'v/m/2.png', body(2), 'image/png')
    // The files go (as another process's eviction would remove them): the memory tier still answers.
    await files.delete('v/m/1.png')
    await files.delete('v/m/2.png')
    expect((await cache.get('default', 'v/m/1.png'))?.equals(body(1))).toBe(true)
    // Fifteen more 1,000-byte variants make 17,000 bytes: the least recently used (2; 1 was just read) goes.
    for (let i = 3; i < 18; i++) await cache.put('default', `v/m/${i}.png`, body(i), 'image/png')
    expect(await cache.get('default', 'v/m/2.png')).toBeUndefined()
    expect((await cache.get('default', 'v/m/1.png'))?.equals(body(1))).toBe(true)
    expect((await cache.get('default', 'v/m/17.png'))?.equals(body(17))).toBe(true)
    // A variant over an eighth of the bound is served from its file, not kept in memory.
    await cache.put('default', 'v/m/big.png', Buffer.alloc(4_000, 7), 'image/png')
    await files.delete('v/m/big.png')
    expect(await cache.get('default', 'v/m/big.png')).toBeUndefined()
  })

  it('sums the size from the database at most every 5 s, counting its own stores between sums', async () => {
    const repository = createImageVariantRepository(opened.deps.database)
    const base = await repository.totalBytes()
    const maxBytes = base + 5_000
    let clockA = Date.now() + 10_000_000
    const clockB = clockA
    const a = createVariantCache({ blobs: opened.deps.blobs, repository, maxBytes, now: () => clockA })
    const b = createVariantCache({ blobs: opened.deps.blobs, repository, maxBytes, now: () => clockB })
    const body = (n: number, size: number) => Buffer.alloc(size, n)
    await a.put('default', 'v/t/a1.png', body(1, 1_000), 'image/png')
    await b.put('default', 'v/t/b1.png', body(2, 3_000), 'image/png') // another process: A does not see it yet
    clockA += 1_000
    await a.put('default', 'v/t/a2.png', body(3, 2_000), 'image/png')
    // A's estimate is base + 3,000 (under the bound); the real total is over it until A sums again.
    expect(await repository.totalBytes()).toBe(base + 6_000)
    clockA += 5_000
    await a.put('default', 'v/t/a3.png', body(4, 500), 'image/png')
    expect(await repository.totalBytes()).toBeLessThanOrEqual(Math.floor(maxBytes * 0.9))
    expect((await a.get('default', 'v/t/a3.png'))?.equals(body(4, 500))).toBe(true)
  })
})
