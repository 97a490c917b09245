/**
 * The load run's fast variant (`npm run bench:load` is the full one, docs/load.md): the same mixed workload
 * (bench/load-workload.ts: 70 % lookups, 20 % imports of 100 entries, 10 % searches) for 8 s against a real
 * `medialib serve` process. Asserts correctness only — no errors, no 5xx, every kind served, every entry
 * whose import was ok readable afterwards — never speed or memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countReadable, formatMix, KINDS, preload, runMix, type Target } from '../../bench/load-workload.js'
import { DIALECTS } from '../helpers/dialects.js'
import { startServeCluster, type ServeCluster, type ServeProcess } from '../helpers/process.js'

const PRELOAD = 2_000
const DURATION_MS = 8_000
const CONNECTIONS = 4

describe.each(DIALECTS)('load run (%s)', (dialect) => {
  let cluster: ServeCluster
  let serve: ServeProcess
  let target: Target

  beforeAll(async () => {
    cluster = await startServeCluster(dialect)
    serve = cluster.servers[0]!
    target = { baseUrl: serve.baseUrl, token: serve.firstToken! }
  }, 60_000)
  afterAll(async () => {
    await cluster?.close()
  }, 60_000)

  it('serves 8 s of mixed reads, imports and searches without an error, and keeps every import', async () => {
    const library = await preload(target, PRELOAD, CONNECTIONS, `load-${dialect}`)
    expect(library.ids).toHaveLength(PRELOAD)
    const run = await runMix(target, library, {
      durationMs: DURATION_MS,
      connections: CONNECTIONS,
      readKeys: 10,
      seed: 42,
    })
    console.log(`[${dialect}] load run\n${formatMix(run).join('\n')}`)
    expect(run.errorSamples).toEqual([])
    expect(run.status5xx).toBe(0)
    for (const kind of KINDS) {
      expect(run.kinds[kind].requests, kind).toBeGreaterThan(0)
      expect(run.kinds[kind].errors, kind).toBe(0)
    }
    // Every import was wholly ok (no errors), so each one added 100 entries.
    expect(run.importedIds).toHaveLength(run.kinds.import.requests * 100)
    expect(new Set(run.importedIds).size).toBe(run.importedIds.length)
    expect(await countReadable(target, run.importedIds, CONNECTIONS)).toBe(run.importedIds.length)
    expect(await countReadable(target, library.ids, CONNECTIONS)).toBe(PRELOAD + run.importedIds.length)
    expect(serve.output()).not.toMatch(/"level":50|Internal Server Error/)
  }, 90_000)
})
