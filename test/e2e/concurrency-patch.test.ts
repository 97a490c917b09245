import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { startServeCluster, type ServeCluster, type ServeProcess } from '../helpers/process.js'
import { request } from '../helpers/server.js'

const CLIENTS = 8
const ROUNDS = 12
const ENTRIES = 4

type Accepted = { entry: string; base: number; caption: string }

describe.each(DIALECTS)('concurrent PATCH with version over two server processes (%s)', (dialect) => {
  let cluster: ServeCluster
  let servers: ServeProcess[] = []
  let token: string

  beforeAll(async () => {
    cluster = await startServeCluster(dialect, { processes: 2 })
    servers = cluster.servers
    token = await cluster.cliToken('default', ['public-api:read', 'public-api:write'])
    const res = await request(servers[0]!, 'POST', '/api/v1/import/mediaLibrary', {
      token,
      body: {
        mediaLibraryEntries: Array.from({ length: ENTRIES }, (_, i) => imageEntry({ id: `contended-${i}` })),
      },
    })
    expect(res.status).toBe(200)
  })
  afterAll(async () => {
    await cluster?.close()
  })

  it('never loses an accepted update: each accepted PATCH had its own base version, the last one wins', async () => {
    const accepted: Accepted[] = []
    const statuses: number[] = []
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let round = 0; round < ROUNDS; round++) {
          const server = servers[(client + round) % servers.length]!
          const entry = `contended-${(client + round) % ENTRIES}`
          const read = await request(server, 'GET', `/api/v1/mediaLibrary/${entry}`, { token })
          statuses.push(read.status)
          const base = (read.body as { version: number }).version
          const caption = `client ${client} round ${round}`
          const res = await request(server, 'PATCH', `/api/v1/mediaLibrary/${entry}`, {
            token,
            body: {
              version: round % 2 === 0 ? base : String(base),
              patches: [{ operation: 'setMetadataProperty', propertyName: 'caption', value: caption }],
            },
          })
          statuses.push(res.status)
          if (res.status === 200) accepted.push({ entry, base, caption })
          else expect(res.body).toMatchObject({ status: 409, error: 'Conflict' })
        }
      }),
    )
    expect(statuses.filter((s) => s >= 500)).toEqual([])
    expect(accepted.length).toBeGreaterThan(0)
    for (let i = 0; i < ENTRIES; i++) {
      const entry = `contended-${i}`
      const mine = accepted.filter((a) => a.entry === entry).sort((a, b) => a.base - b.base)
      const final = (await request(servers[0]!, 'GET', `/api/v1/mediaLibrary/${entry}`, { token })).body as {
        version: number
        metadata: { caption?: string }
      }
      // Accepted patches form the chain 1, 2, 3, … with no two on the same base version.
      expect(mine.map((a) => a.base)).toEqual(mine.map((_, k) => k + 1))
      expect(final.version).toBe(1 + mine.length)
      if (mine.length > 0) expect(final.metadata.caption).toBe(mine[mine.length - 1]!.caption)
    }
    console.log(
      `[${dialect}] ${CLIENTS * ROUNDS} PATCHes, ${accepted.length} accepted, ${CLIENTS * ROUNDS - accepted.length} answered 409, none lost`,
    )
  })
})
