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
  /** A 64×48 JPEG stored under `key` in the project, and an entry `id` for it. */
  const importImage = async (project: string, token: string, key: string, id: string) => {
    const body = await makeImage('jpeg', 64, 48)
    await server.deps.blobs.files(project).put(key, Readable.from([body]))
    const asset = { key, url: `https://cdn.example.test/${key}`, size: body.length }
    const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
      token,
      body: {
        mediaLibraryEntries: [
          {
            id,
            mediaType: 'image',
            asset: { ...asset, width: 64, height: 48, filename: 'a.jpg', mimeType: 'image/jpeg' },
            metadata: {},
          },
        ],
      },
    })
    expect(res.status).toBe(200)
  }
  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { listen: true })
    const { config, dataDir } = server.db
    dbArgs = ['--data-dir', dataDir, ...(config.databaseUrl ? ['--database', config.databaseUrl] : [])]
    await importImage('default', server.token, 'signed/a.jpg', 'signed')
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

  it("sets the project's own allow-list of sizes and formats, and 'default' returns to the server's", async () => {
    const other = await server.createToken('other', ['public-api:read', 'public-api:write'])
    await importImage('other', other, 'own/a.jpg', 'own')
    const get = async (query: string) => {
      const r = await fetch(`${server.baseUrl}/api/v1/mediaLibrary/serve-image/own/a.jpg?${query}`, {
        headers: { authorization: `Bearer ${other}` },
      })
      const answer = { status: r.status, body: r.status === 200 ? undefined : await r.json() }
      if (r.status === 200) await r.arrayBuffer()
      return answer
    }
    // The server's default allow-list takes w=32 and WebP, not w=33.
    expect((await get('w=32&fm=webp')).status).toBe(200)
    expect((await get('w=33')).status).toBe(403)

    const set = await runCli([
      'projects',
      'image-signing',
      'other',
      '--allowed-sizes',
      '33,48',
      '--allowed-formats',
      'jpg',
      ...dbArgs,
    ])
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toContain('allowed sizes: 33,48\nallowed formats: jpg')
    await new Promise((r) => setTimeout(r, 5_100))
    expect((await get('w=33')).status).toBe(200)
    expect(await get('w=32')).toMatchObject({
      status: 403,
      body: { error_details: { w: expect.any(String) } },
    })
    expect(await get('w=48&fm=webp')).toMatchObject({
      status: 403,
      body: { error_details: { fm: expect.any(String) } },
    })
    const bad = await runCli(['projects', 'image-signing', 'other', '--allowed-formats', 'bmp', ...dbArgs])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain("--allowed-formats takes a comma-separated list or 'default'; 'bmp'")

    const reset = await runCli([
      'projects',
      'image-signing',
      'other',
      '--allowed-sizes',
      'default',
      '--allowed-formats',
      'default',
      ...dbArgs,
    ])
    expect(reset.stdout).toContain('allowed sizes: default\nallowed formats: default')
    await new Promise((r) => setTimeout(r, 5_100))
    expect((await get('w=32&fm=webp')).status).toBe(200)
    expect((await get('w=33')).status).toBe(403)
  })
})
