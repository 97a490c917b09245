import { execFile } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Worker } from '../../src/jobs/worker.js'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage, startMediaServer, urlImportConfig, type MediaServer } from '../helpers/media-server.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

const run = promisify(execFile)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/**
 * The typed example program (examples/client/example.ts) on the types openapi-typescript generated from
 * the served document (dist/openapi.d.ts, written by `npm run build`): compiled with `tsc --strict`, then
 * run against a real server. Every response it gets is also checked against the document by the server's hook.
 */
beforeAll(async () => {
  await run(process.execPath, [
    path.join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    path.join(root, 'examples/client/tsconfig.json'),
  ])
}, 120_000)

describe.each(DIALECTS)('a client generated from the OpenAPI document (%s)', (dialect) => {
  let server: TestServer
  let media: MediaServer
  let worker: Worker

  beforeAll(async () => {
    media = await startMediaServer()
    media.routes.set('/img/harbour.png', { body: await makeImage('png', 48, 36), type: 'image/png' })
    server = await startTestServer(dialect, urlImportConfig(), { listen: true })
    worker = server.deps.createWorker({ logger: { info: () => undefined, error: () => undefined } })
    worker.start()
  })
  afterAll(async () => {
    await worker?.stop()
    await server?.close()
    await media?.close()
  })

  it('imports, gets, patches with the version, lists with filters page by page, imports from a URL', async () => {
    const { stdout } = await run(process.execPath, [
      path.join(root, 'dist/examples/client/example.js'),
      server.baseUrl,
      server.token,
      media.url('/img/harbour.png'),
    ])
    const summary = JSON.parse(stdout) as { listed: string[] }
    // Three entries in pages of two, each once (their order within one import batch is the store's).
    summary.listed.sort()
    expect(summary).toEqual({
      importedIds: ['example-north', 'example-south', 'example-east'],
      version: 1,
      patched: 200,
      staleStatus: 409,
      staleError: 'Conflict',
      listed: [
        'example-east:Harbour east',
        'example-north:Harbour north, patched',
        'example-south:Harbour south',
      ],
      pages: 2,
      job: { state: 'success', itemState: 'success', mediaId: expect.any(String), width: 48 },
    })
  })
})
