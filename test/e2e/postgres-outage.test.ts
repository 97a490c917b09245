import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminQuery, DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { startServeProcess } from '../helpers/process.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const databaseName = (url: string) => new URL(url).pathname.slice(1)
const admin = adminQuery

/** Cuts the database off: refuses new connections and terminates the open ones (like a server restart). */
async function cutOff(name: string): Promise<void> {
  await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`)
  await admin(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
  )
}
const restore = (name: string) => admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`)

const SERVICE_UNAVAILABLE = { status: 503, body: { status: 503, error: 'Service Unavailable' } }

describe.runIf(DIALECTS.includes('postgres'))('PostgreSQL outages', () => {
  let server: TestServer
  let name: string
  beforeAll(async () => {
    server = await startTestServer('postgres')
    name = databaseName(server.db.config.databaseUrl!)
  })
  afterAll(async () => {
    await restore(name).catch(() => undefined)
    await server.close()
  })

  it('answers 503 while the database is unreachable and recovers without a restart', async () => {
    const entry = imageEntry({ id: 'before-outage' })
    const before = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: [entry] },
    })
    expect(before.status).toBe(200)

    await cutOff(name)
    try {
      const health = await request(server, 'GET', '/api/v1/health')
      expect({ status: health.status, body: health.body }).toEqual(SERVICE_UNAVAILABLE)
      const read = await request(server, 'GET', '/api/v1/mediaLibrary/before-outage', { token: server.token })
      expect({ status: read.status, body: read.body }).toEqual(SERVICE_UNAVAILABLE)
      const write = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
        token: server.token,
        body: { mediaLibraryEntries: [imageEntry({ id: 'during-outage' })] },
      })
      expect({ status: write.status, body: write.body }).toEqual(SERVICE_UNAVAILABLE)
    } finally {
      await restore(name)
    }

    const health = await request(server, 'GET', '/api/v1/health')
    expect(health.status).toBe(200)
    const read = await request(server, 'GET', '/api/v1/mediaLibrary/before-outage', { token: server.token })
    expect(read.status).toBe(200)
    const during = await request(server, 'GET', '/api/v1/mediaLibrary/during-outage', { token: server.token })
    expect(during.status).toBe(404)
  })

  it('retries the connection at start with a clear log line, then serves', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'medialib-outage-'))
    await cutOff(name)
    const starting = startServeProcess(['--data-dir', dataDir, '--database', server.db.config.databaseUrl!])
    try {
      // The process retries once a second; give it time to fail a few times before the database returns.
      await new Promise((r) => setTimeout(r, 3_000))
    } finally {
      await restore(name)
    }
    const serve = await starting
    try {
      expect(serve.output()).toContain('database not reachable, retrying in 1000 ms')
      const health = await request(serve, 'GET', '/api/v1/health')
      expect(health.status).toBe(200)
    } finally {
      await serve.stop('SIGTERM')
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
