import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signVariantUrl } from '../../src/media/variant-params.js'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage } from '../helpers/media-server.js'
import { runCli } from '../helpers/process.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

describe.each(DIALECTS)('medialib projects image-signing (%s)', (dialect) => {
  let server: TestServer
  let dbArgs: string[]
  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { listen: true })
    const { config, dataDir } = server.db
    dbArgs = ['--data-dir', dataDir, ...(config.databaseUrl ? ['--database', config.databaseUrl] : [])]
    const body = await makeImage('jpeg', 64, 48)
    await server.deps.blobs.files('default').put('signed/a.jpg', Readable.from([body]))
    const asset = { key: 'signed/a.jpg', url: 'https://cdn.example.test/a.jpg', size: body.length }
    const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
      token: server.token,
      body: {
        mediaLibraryEntries: [
          {
            id: 'signed',
            mediaType: 'image',
            asset: { ...asset, width: 64, height: 48, filename: 'a.jpg', mimeType: 'image/jpeg' },
            metadata: {},
          },
        ],
      },
    })
    expect(res.status).toBe(200)
  })
  afterAll(async () => {
    await server.close()
  })

  it('prints the secret, requires signatures when asked, and the printed secret signs URLs', async () => {
    const shown = await runCli([
      'projects',
      'image-signing',
      'default',
      '--require-signature',
      'on',
      ...dbArgs,
    ])
    expect(shown.code, shown.stderr).toBe(0)
    const secret = /secret: ([0-9a-f]{64})/.exec(shown.stdout)?.[1]
    expect(secret).toBeDefined()
    expect(shown.stdout).toContain('require signature: on')
    // The server caches a project's signing settings for up to 5 s.
    await new Promise((r) => setTimeout(r, 5_100))
    const path = '/api/v1/mediaLibrary/serve-image/signed/a.jpg?w=32'
    const get = (url: string) =>
      fetch(`${server.baseUrl}${url}`, { headers: { authorization: `Bearer ${server.token}` } })
    const unsigned = await get(path)
    expect(unsigned.status).toBe(403)
    expect(await unsigned.json()).toMatchObject({ error_details: { s: expect.any(String) } })
    const signed = await get(`${path}&s=${signVariantUrl(secret!, path)}`)
    expect(signed.status).toBe(200)
    expect(signed.headers.get('content-type')).toBe('image/jpeg')
    await signed.arrayBuffer()

    const bad = await runCli([
      'projects',
      'image-signing',
      'default',
      '--require-signature',
      'maybe',
      ...dbArgs,
    ])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain('--require-signature takes on or off')
    const rotated = await runCli(['projects', 'image-signing', 'default', '--rotate', ...dbArgs])
    expect(rotated.stdout).not.toContain(secret!)
    expect(rotated.stdout).toContain('require signature: on')
  })
})
