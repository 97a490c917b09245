import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { heldItems } from '../../src/jobs/held-items.js'
import type { ImportItem } from '../../src/jobs/import-job.js'

const item = (jobId: string, idx: number) => ({ jobId, idx }) as ImportItem

describe('heldItems (a URL-import worker’s claimed items and their lease renewals)', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('renews a held item’s lease every interval until it is released', () => {
    const renewed: string[] = []
    const held = heldItems((i) => renewed.push(`${i.jobId}/${i.idx}`), 100)
    held.hold(item('a', 0))
    held.hold(item('a', 1))
    vi.advanceTimersByTime(250)
    expect(renewed.sort()).toEqual(['a/0', 'a/0', 'a/1', 'a/1'])
    held.release(item('a', 0))
    renewed.length = 0
    vi.advanceTimersByTime(300)
    expect(renewed).toEqual(['a/1', 'a/1', 'a/1'])
    held.release(item('a', 1))
    renewed.length = 0
    vi.advanceTimersByTime(1_000)
    expect(renewed).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('holds a job while any of its items is held; release is idempotent', () => {
    const held = heldItems(() => undefined, 100)
    held.hold(item('a', 0))
    held.hold(item('a', 1))
    held.hold(item('b', 0))
    held.release(item('a', 0))
    held.release(item('a', 0))
    expect(held.holdsJob('a')).toBe(true)
    held.release(item('a', 1))
    expect(held.holdsJob('a')).toBe(false)
    expect(held.holdsJob('b')).toBe(true)
    held.release(item('c', 9))
    expect(held.holdsJob('b')).toBe(true)
  })

  it('an item claimed again while held keeps one renewal, stopped by one release', () => {
    const renewed: string[] = []
    const held = heldItems((i) => renewed.push(`${i.jobId}/${i.idx}`), 100)
    held.hold(item('a', 0))
    held.hold(item('a', 0))
    vi.advanceTimersByTime(100)
    expect(renewed).toEqual(['a/0'])
    held.release(item('a', 0))
    expect(held.holdsJob('a')).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
  })
})
