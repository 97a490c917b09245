import type { Config } from '../../src/config.js'
import type { Worker } from '../../src/jobs/worker.js'
import type { DialectName } from './dialects.js'
import { request, startTestServer, type TestServer } from './server.js'

/** A test server with several projects (a read and write token each) and a running URL-import worker. */
export interface ProjectsServer {
  server: TestServer
  worker: Worker
  tokens: Record<string, string>
  close(): Promise<void>
}

export async function startProjectsServer(
  dialect: DialectName,
  config: Partial<Config>,
  projects: string[],
): Promise<ProjectsServer> {
  const server = await startTestServer(dialect, config)
  const tokens: Record<string, string> = {}
  for (const project of projects) {
    tokens[project] = await server.createToken(project, ['public-api:read', 'public-api:write'])
  }
  const worker = server.deps.createWorker()
  worker.start()
  return {
    server,
    worker,
    tokens,
    async close() {
      await worker.stop()
      await server.close()
    },
  }
}

/** URL-imports one image with the token's project and waits for it: the entry's id and storage key. */
export async function importOneByUrl(
  server: TestServer,
  token: string,
  url: string,
): Promise<{ id: string; key: string }> {
  const queued = await request(server, 'POST', '/api/v1/import/images', {
    token,
    body: { systemName: 'one-by-url', images: [{ id: `u-${Date.now().toString(36)}`, url }] },
  })
  const jobId = (queued.body as { id: string }).id
  for (let i = 0; i < 500; i++) {
    const status = (await request(server, 'GET', `/api/v1/import/images/status?id=${jobId}`, { token }))
      .body as { finished: boolean; images: { image?: { mediaId: string } }[] }
    const id = status.finished ? status.images[0]?.image?.mediaId : undefined
    if (status.finished && !id) throw new Error(`the import failed: ${JSON.stringify(status)}`)
    if (id) {
      const entry = (await request(server, 'GET', `/api/v1/mediaLibrary/${id}`, { token })).body as {
        asset: { key: string }
      }
      return { id, key: entry.asset.key }
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`job ${jobId} did not finish`)
}
