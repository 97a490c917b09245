import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateEntryId, generateId } from '../../src/media/ids.js'

describe('entry ids', () => {
  it('are 21 characters of the id alphabet: 9 of time, 12 random', () => {
    const id = generateEntryId()
    expect(id).toMatch(/^[0-9a-z]{9}[a-zA-Z0-9-]{12}$/)
    expect(Number.parseInt(id.slice(0, 9), 36)).toBeLessThanOrEqual(Date.now())
  })

  it('sort by creation time, byte-wise and in a locale collation', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }), // 1970 … 2100
        fc.integer({ min: 1, max: 10 ** 11 }),
        (earlier, gap) => {
          const [a, b] = [generateEntryId(earlier), generateEntryId(earlier + gap)]
          expect(a < b).toBe(true)
          expect(a.localeCompare(b, 'en')).toBe(-1)
        },
      ),
    )
  })

  it('do not repeat within one millisecond', () => {
    const ids = new Set(Array.from({ length: 50_000 }, () => generateEntryId(1_800_000_000_000)))
    expect(ids.size).toBe(50_000)
  })

  it('leave other ids (tokens, jobs) as 12 random characters', () => {
    expect(generateId()).toMatch(/^[a-zA-Z0-9-]{12}$/)
  })
})
