import { describe, expect, it } from 'vitest'
import { neighbours } from '../../ui/search-context.js'

describe('stepping through a search (ui/search-context.ts)', () => {
  const ids = ['a', 'b', 'c']
  it('names the entries before and after, and none past either end', () => {
    expect(neighbours(ids, 'b')).toEqual({ index: 1, prev: 'a', next: 'c' })
    expect(neighbours(ids, 'a')).toEqual({ index: 0, prev: undefined, next: 'b' })
    expect(neighbours(ids, 'c')).toEqual({ index: 2, prev: 'b', next: undefined })
  })
  it('has nothing to say about an entry the search does not show', () => {
    expect(neighbours(ids, 'x')).toBeNull()
    expect(neighbours([], 'a')).toBeNull()
  })
})
