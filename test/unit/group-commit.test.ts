import { describe, expect, it } from 'vitest'
import { groupCommit } from '../../src/jobs/group-commit.js'

describe('groupCommit', () => {
  it('writes a lone request at once, alone', async () => {
    const batches: number[][] = []
    const g = groupCommit(async (rows: readonly number[]) => {
      batches.push([...rows])
      return rows.map((r) => r * 2)
    })
    expect(await g.add(3)).toBe(6)
    expect(batches).toEqual([[3]])
  })

  it('writes requests of the same turn together, and those arriving during a write in the next batch', async () => {
    const batches: number[][] = []
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const g = groupCommit(async (rows: readonly number[]) => {
      batches.push([...rows])
      if (batches.length === 1) await gate
      return rows.map((r) => r + 100)
    })
    const first = [g.add(1), g.add(2), g.add(3)]
    await new Promise((r) => setImmediate(r))
    await new Promise((r) => setImmediate(r))
    expect(batches).toEqual([[1, 2, 3]])
    const later = [g.add(4), g.add(5)]
    release()
    expect(await Promise.all([...first, ...later])).toEqual([101, 102, 103, 104, 105])
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ])
  })

  it('rejects every request of a failed batch and goes on with the next', async () => {
    let calls = 0
    const g = groupCommit(async (rows: readonly string[]) => {
      calls++
      if (rows.includes('bad')) throw new Error('write failed')
      return rows.map((r) => r.toUpperCase())
    })
    const results = await Promise.allSettled([g.add('a'), g.add('bad')])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(await g.add('c')).toBe('C')
    expect(calls).toBe(2)
  })
})
