import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/database.js'
import { DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { startServeCluster, type ServeCluster, type ServeProcess } from '../helpers/process.js'
import { request } from '../helpers/server.js'

type Result = {
  ok: boolean
  status: number
  id?: string
  error?: string
  error_details?: { message: string }
}

const CLIENTS = 8
const BATCHES = 5
const KEYS = 60

describe.each(DIALECTS)('two server processes on one database, 8 concurrent clients (%s)', (dialect) => {
  let cluster: ServeCluster
  let db: TestDatabase
  let dataDir: string
  let servers: ServeProcess[] = []
  let token: string

  beforeAll(async () => {
    // Both start at once: migrations and the default project must happen exactly once.
    cluster = await startServeCluster(dialect, { processes: 2 })
    ;({ db, dataDir, servers } = cluster)
    token = await cluster.cliToken('default', ['public-api:write'])
  })
  afterAll(async () => {
    await cluster?.close()
  })

  it('keeps exactly one winner per id and per externalId, with no 5xx', async () => {
    const pick = () => Math.floor(Math.random() * KEYS)
    const sentIds = new Set<string>()
    const sentExternal = new Set<string>()
    const fresh = new Set<string>()
    const responses: { status: number; kinds: string[]; results: Result[] }[] = []

    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let batch = 0; batch < BATCHES; batch++) {
          const kinds: string[] = []
          const entries: Record<string, unknown>[] = []
          for (let i = 0; i < 20; i++) {
            const idKey = `mp-id-${pick()}`
            sentIds.add(idKey)
            kinds.push('id')
            entries.push(imageEntry({ id: idKey, systemName: undefined, externalId: undefined }))

            const extKey = `mp-ext-${pick()}`
            sentExternal.add(extKey)
            kinds.push('externalId')
            entries.push(imageEntry({ id: undefined, systemName: 'mp-system', externalId: extKey }))

            const freshId = `mp-fresh-${client}-${batch}-${i}`
            fresh.add(freshId)
            kinds.push('fresh')
            entries.push(imageEntry({ id: freshId, systemName: undefined, externalId: undefined }))
          }
          const server = servers[(client + batch) % servers.length]!
          const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
            token,
            body: { mediaLibraryEntries: entries },
          })
          responses.push({
            status: res.status,
            kinds,
            results: (res.body as { mediaLibraryEntries?: Result[] }).mediaLibraryEntries ?? [],
          })
        }
      }),
    )

    expect(responses.map((r) => r.status).filter((s) => s !== 200)).toEqual([])
    const okIds = new Set<string>()
    let okCount = 0
    for (const { kinds, results } of responses) {
      expect(results).toHaveLength(kinds.length)
      results.forEach((r, i) => {
        if (r.ok) {
          okCount += 1
          okIds.add(r.id!)
          return
        }
        expect(kinds[i]).not.toBe('fresh')
        expect(r.status).toBe(409)
        expect(r.error).toBe('UniqueIdViolation')
        expect(r.error_details?.message).toMatch(
          kinds[i] === 'id' ? /^id is not unique: 'mp-id-/ : /^externalId is not unique: 'mp-ext-/,
        )
      })
    }
    const distinctKeys = sentIds.size + sentExternal.size + fresh.size
    expect(okCount).toBe(distinctKeys)
    expect(okIds.size).toBe(distinctKeys)

    const database = openDatabase({ url: db.config.databaseUrl, dataDir })
    try {
      const rows = await database.db.selectFrom('media_entries').select(['id', 'external_id']).execute()
      expect(rows).toHaveLength(distinctKeys)
      expect(new Set(rows.map((r) => r.id))).toEqual(okIds)
      expect(new Set(rows.filter((r) => r.external_id).map((r) => r.external_id))).toEqual(sentExternal)
      const projects = await database.db.selectFrom('projects').select('handle').execute()
      expect(projects.map((p) => p.handle)).toEqual(['default'])
    } finally {
      await database.close()
    }
  })
})
