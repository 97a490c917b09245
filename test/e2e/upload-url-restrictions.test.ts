import { randomBytes } from 'node:crypto'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage, startMediaServer, urlImportConfig, type MediaServer } from '../helpers/media-server.js'
import { startStorage, STORAGES, type TestStorage } from '../helpers/s3.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import type { Worker } from '../../src/jobs/worker.js'

const CASES = DIALECTS.flatMap((dialect) => STORAGES.map((store) => [dialect, store] as const))

/** A media type's uploadRestrictions apply to URL imports too: the sniffed type and the real size (#18). */
describe.each(CASES)('uploadRestrictions on URL imports (%s, %s storage)', (dialect, store) => {
  let server: TestServer
  let storage: TestStorage
  let media: MediaServer
  let worker: Worker
  let token: string

  beforeAll(async () => {
    storage = await startStorage(store)
    media = await startMediaServer()
    server = await startTestServer(dialect, { ...urlImportConfig(), ...storage.config })
    await server.deps.projects.create('restricted', [
      {
        handle: 'image',
        type: 'mediaImage',
        metadata: [],
        uploadRestrictions: { maxFileSize: '20kb', allowedMimeTypes: ['image/png', 'image/jpeg'] },
      },
    ] as never)
    token = await server.createToken('restricted', ['public-api:read', 'public-api:write'])
    media.routes.set('/ok.png', { body: await makeImage('png', 20, 20), type: 'image/png' })
    // A GIF that claims to be a PNG: the sniffed type decides.
    media.routes.set('/liar.png', { body: await makeImage('gif', 20, 20), type: 'image/png' })
    const noise = await sharp(randomBytes(200 * 200 * 3), { raw: { width: 200, height: 200, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer()
    media.routes.set('/big.jpg', { body: noise, type: 'image/jpeg', chunked: true })
    worker = server.deps.createWorker()
    worker.start()
  })
  afterAll(async () => {
    await worker?.stop()
    await server?.close()
    await media?.close()
    await storage?.close()
  })

  it('refuses a forbidden sniffed type and a file over maxFileSize, naming the restriction', async () => {
    const queued = await request(server, 'POST', '/api/v1/import/images', {
      token,
      body: {
        systemName: 'web',
        images: ['ok.png', 'liar.png', 'big.jpg'].map((name) => ({ id: name, url: media.url(`/${name}`) })),
      },
    })
    expect(queued.status).toBe(200)
    const id = (queued.body as { id: string }).id
    let status: { finished: boolean; images: { state: string; reason?: string }[] } | undefined
    for (let i = 0; i < 400 && !status?.finished; i++) {
      await new Promise((r) => setTimeout(r, 50))
      status = (await request(server, 'GET', `/api/v1/import/images/status?id=${id}`, { token }))
        .body as never
    }
    const [ok, liar, big] = status!.images
    expect(ok).toMatchObject({ state: 'success' })
    expect(liar).toMatchObject({ state: 'failed' })
    expect(liar!.reason).toContain(
      "image/gif is not in uploadRestrictions.allowedMimeTypes of media type 'image'",
    )
    expect(big).toMatchObject({ state: 'failed' })
    expect(big!.reason).toContain("uploadRestrictions.maxFileSize of media type 'image' (20480 bytes)")
  })
})
