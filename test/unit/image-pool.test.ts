import { describe, expect, it } from 'vitest'
import { createImagePool } from '../../src/media/image-pool.js'

/** A task that records when it started and finishes when told to. */
function gate(log: string[], name: string) {
  let finish!: () => void
  const done = new Promise<void>((r) => (finish = r))
  return {
    task: async () => {
      log.push(`start ${name}`)
      await done
      log.push(`end ${name}`)
      return name
    },
    finish: () => finish(),
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms))

describe('image pool', () => {
  it('gives one project at most its share; another project gets a free slot at once', async () => {
    const pool = createImagePool({ size: 2, perProject: 1, releaseAfterMs: 10_000 })
    const log: string[] = []
    const [a1, a2, b1] = [gate(log, 'a1'), gate(log, 'a2'), gate(log, 'b1')]
    const runs = [pool.run('a', a1.task), pool.run('a', a2.task), pool.run('b', b1.task)]
    await tick()
    expect(log).toEqual(['start a1', 'start b1'])
    a1.finish()
    await tick()
    expect(log).toEqual(['start a1', 'start b1', 'end a1', 'start a2'])
    a2.finish()
    b1.finish()
    expect(await Promise.all(runs)).toEqual(['a1', 'a2', 'b1'])
  })

  it('serves waiting projects round-robin', async () => {
    const pool = createImagePool({ size: 1, perProject: 1, releaseAfterMs: 10_000 })
    const log: string[] = []
    const first = gate(log, 'x0')
    const queued = [
      ['a', 'a1'],
      ['a', 'a2'],
      ['a', 'a3'],
      ['b', 'b1'],
      ['c', 'c1'],
    ].map(([project, name]) => ({ project: project!, ...gate(log, name!) }))
    const runs = [pool.run('x', first.task), ...queued.map((q) => pool.run(q.project, q.task))]
    await tick()
    first.finish()
    for (const name of ['a1', 'b1', 'c1', 'a2', 'a3']) {
      await tick()
      expect(log.at(-1)).toBe(`start ${name}`)
      queued[['a1', 'a2', 'a3', 'b1', 'c1'].indexOf(name)]!.finish()
    }
    await Promise.all(runs)
  })

  it('lets a task that holds its slot too long give it up, so those behind it start', async () => {
    const pool = createImagePool({ size: 1, perProject: 1, releaseAfterMs: 50 })
    const log: string[] = []
    const [slow, next] = [gate(log, 'slow'), gate(log, 'next')]
    const runs = [pool.run('a', slow.task), pool.run('b', next.task)]
    await tick(10)
    expect(log).toEqual(['start slow'])
    await tick(80)
    expect(log).toEqual(['start slow', 'start next'])
    next.finish()
    slow.finish()
    await Promise.all(runs)
  })

  it('keeps the slot of a slow task when as many overdue tasks as slots already run', async () => {
    const pool = createImagePool({ size: 1, perProject: 1, releaseAfterMs: 30 })
    const log: string[] = []
    const [s1, s2, s3] = [gate(log, 's1'), gate(log, 's2'), gate(log, 's3')]
    const runs = [pool.run('a', s1.task), pool.run('b', s2.task), pool.run('c', s3.task)]
    await tick(100)
    // s1 went overdue and gave its slot to s2; s2 cannot go overdue too (one overdue per slot), so s3 waits
    // until s2 is done.
    expect(log).toEqual(['start s1', 'start s2'])
    s1.finish()
    await tick(50)
    expect(log).toEqual(['start s1', 'start s2', 'end s1'])
    s2.finish()
    await tick()
    expect(log).toEqual(['start s1', 'start s2', 'end s1', 'end s2', 'start s3'])
    s3.finish()
    await Promise.all(runs)
  })
})
