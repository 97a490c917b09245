import { describe, expect, it } from 'vitest'
import {
  clearSteps,
  neighbours,
  nextStep,
  pendingSteps,
  queueStep,
  takeStep,
} from '../../ui/search-context.js'

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

describe('steps queued before the links arrive (ui/search-context.ts)', () => {
  it('takes one link at a time towards the queued direction', () => {
    expect(nextStep(2, { prev: 'a', next: 'c' }, false)).toBe('next')
    expect(nextStep(-1, { prev: 'a', next: 'c' }, false)).toBe('prev')
    expect(nextStep(0, { prev: 'a', next: 'c' }, true)).toBe('none')
  })
  it('waits at the last loaded entry while the search has more, and drops what leads nowhere', () => {
    expect(nextStep(1, { prev: 'b', next: undefined }, true)).toBe('wait')
    expect(nextStep(1, { prev: 'b', next: undefined }, false)).toBe('drop')
    expect(nextStep(-3, { prev: undefined, next: 'b' }, true)).toBe('drop')
  })
  it('counts presses as one number: back and forth cancel, a taken step comes off', () => {
    clearSteps()
    queueStep(1)
    queueStep(1)
    queueStep(-1)
    queueStep(1)
    expect(pendingSteps()).toBe(2)
    takeStep()
    expect(pendingSteps()).toBe(1)
    takeStep()
    takeStep()
    expect(pendingSteps()).toBe(0)
  })
})
