import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

type Result = {
  ok: boolean
  status: number
  id?: string
  correlation?: string
  error?: string
  error_details?: unknown
}
type ImportBody = { mediaLibraryEntries: Result[] }

describe.each(DIALECTS)('import batches (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer(dialect, {
      limits: { ...DEFAULT_CONFIG.limits, bodyBytes: 2 * 1024 * 1024, entriesPerRequest: 2_000 },
    })
  })
  afterAll(async () => {
    await server.close()
  })

  const post = async (body: unknown, token = server.token) => {
    const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', { token, body })
    return { status: res.status, body: res.body as ImportBody }
  }
  const countEntries = async () => {
    const row = await server.deps.database.db
      .selectFrom('media_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }
  const getIds = async (ids: string[]) =>
    (await request(server, 'GET', `/api/v1/mediaLibrary?ids=${ids.join(',')}`, { token: server.token }))
      .body as {
      mediaLibraryEntries: { id: string }[]
    }

  it('stores the good entries of a mixed batch and nothing of the bad one', async () => {
    const before = await countEntries()
    const good1 = imageEntry({ id: 'mixed-good-1' })
    const bad = imageEntry({ id: 'mixed-bad', asset: { key: 'a.jpg', url: 'https://x.test/a.jpg' } })
    const good2 = imageEntry({ id: 'mixed-good-2' })
    const res = await post({ mediaLibraryEntries: [good1, bad, good2] })
    expect(res.status).toBe(200)
    expect(res.body.mediaLibraryEntries.map((r) => [r.ok, r.status])).toEqual([
      [true, 200],
      [false, 400],
      [true, 200],
    ])
    expect(res.body.mediaLibraryEntries[1]).toMatchObject({
      correlation: 'id: mixed-bad',
      error: 'ValidationError',
      error_details: { message: expect.stringContaining("'/asset/size' is required") },
    })
    expect(await countEntries()).toBe(before + 2)
    expect(
      (await getIds(['mixed-good-1', 'mixed-bad', 'mixed-good-2'])).mediaLibraryEntries.map((e) => e.id),
    ).toEqual(['mixed-good-1', 'mixed-good-2'])
  })

  it('imports a batch of 1,000 entries in one request', async () => {
    const before = await countEntries()
    const entries = Array.from({ length: 1000 }, () => imageEntry())
    const started = performance.now()
    const res = await post({ mediaLibraryEntries: entries })
    const ms = performance.now() - started
    console.log(
      `[${dialect}] 1,000 entries in one request: ${ms.toFixed(0)} ms (${((1000 / ms) * 1000).toFixed(0)} entries/s)`,
    )
    expect(res.status).toBe(200)
    expect(res.body.mediaLibraryEntries).toHaveLength(1000)
    expect(res.body.mediaLibraryEntries.every((r, i) => r.ok && r.id === entries[i]!.id)).toBe(true)
    expect(await countEntries()).toBe(before + 1000)
  })

  it('fails the later of two entries with the same id or externalId inside one batch', async () => {
    const a = imageEntry({ id: 'dup-a', externalId: 'dup-ext-a' })
    const sameId = imageEntry({ id: 'dup-a' })
    const sameExternal = imageEntry({ id: 'dup-c', externalId: 'dup-ext-a' })
    const otherSystem = imageEntry({ id: 'dup-d', systemName: 'other-system', externalId: 'dup-ext-a' })
    const res = await post({ mediaLibraryEntries: [a, sameId, sameExternal, otherSystem] })
    expect(res.body.mediaLibraryEntries).toEqual([
      expect.objectContaining({ ok: true, id: 'dup-a' }),
      {
        ok: false,
        correlation: 'id: dup-a',
        status: 409,
        error: 'UniqueIdViolation',
        error_details: { message: "id is not unique: 'dup-a'" },
      },
      {
        ok: false,
        correlation: 'id: dup-c',
        status: 409,
        error: 'UniqueIdViolation',
        error_details: { message: "externalId is not unique: 'dup-ext-a'" },
      },
      expect.objectContaining({ ok: true, id: 'dup-d' }),
    ])
  })

  it('generates an id when omitted, and names entries without an id by externalId or position', async () => {
    const res = await post({
      mediaLibraryEntries: [
        imageEntry({ id: undefined }),
        imageEntry({ id: undefined, externalId: 'no-id-ext', metadata: { title: 1 } }),
        imageEntry({ id: undefined, externalId: undefined, systemName: undefined, metadata: { nope: 'x' } }),
      ],
    })
    const [first, second, third] = res.body.mediaLibraryEntries
    expect(first).toMatchObject({
      ok: true,
      status: 200,
      id: expect.stringMatching(/^[0-9a-z]{9}[a-zA-Z0-9-]{12}$/),
    })
    expect(second).toMatchObject({
      ok: false,
      correlation: 'externalId: no-id-ext',
      error: 'MetadataValidationErrors',
    })
    expect(third).toEqual({
      ok: false,
      correlation: 'index: 2',
      status: 400,
      error: 'MetadataValidationErrors',
      error_details: {
        message: 'Metadata validation failed.',
        invalidMetadata: [
          {
            metadataProperty: 'nope',
            message:
              "Unknown metadata property 'nope': media type 'image' defines title, caption, source, description",
          },
        ],
      },
    })
  })

  it('imports video and file entries with their own asset rules, and validates translations', async () => {
    const video = {
      id: 'video-1',
      mediaType: 'video',
      asset: {
        key: '2022/09/30/fire.mp4',
        url: 'https://cdn.example.com/2022/09/30/fire.mp4',
        size: 8633462,
        width: 1280,
        height: 720,
        duration: 35.241667,
        filename: 'fire.mp4',
        mimeType: 'video/mp4',
      },
      metadata: { title: 'This is a fire' },
      translations: [{ locale: 'fr', metadata: { title: "C'est un feu" } }],
    }
    const videoWithoutDuration = { ...video, id: 'video-2', asset: { ...video.asset, duration: undefined } }
    const file = {
      id: 'file-1',
      mediaType: 'file',
      asset: {
        key: '2022/09/30/a.pdf',
        url: 'https://cdn.example.com/a.pdf',
        size: 3028,
        filename: 'a.pdf',
        mimeType: 'application/pdf',
      },
      translations: [{ locale: 'fr', metadata: { title: 7 } }],
    }
    const res = await post({ mediaLibraryEntries: [video, videoWithoutDuration, file] })
    const [v1, v2, f1] = res.body.mediaLibraryEntries
    expect(v1).toMatchObject({ ok: true, record: { translations: video.translations } })
    expect(v2).toMatchObject({ ok: false, status: 400, error: 'ValidationError' })
    expect(JSON.stringify(v2)).toContain("'/asset/duration' is required")
    expect(f1).toEqual({
      ok: false,
      correlation: 'id: file-1',
      status: 400,
      error: 'MetadataValidationErrors',
      error_details: {
        message: 'Metadata validation failed.',
        invalidMetadata: [
          {
            metadataProperty: 'title',
            message: "The value of '/title' should be string",
            translationLocale: 'fr',
          },
        ],
      },
    })
  })

  it('refuses whole requests that are not a JSON object with an entries array, in the envelope', async () => {
    const raw = (rawBody: string, contentType: string) =>
      request(server, 'POST', '/api/v1/import/mediaLibrary', {
        token: server.token,
        rawBody,
        headers: { 'content-type': contentType },
      })
    const notJson = await raw('{"mediaLibraryEntries": [', 'application/json')
    expect(notJson.status).toBe(400)
    expect(notJson.body).toMatchObject({
      status: 400,
      error: 'Bad Request',
      error_details: { message: expect.any(String) },
    })

    const wrongType = await raw('mediaLibraryEntries=1', 'application/x-www-form-urlencoded')
    expect(wrongType.status).toBe(415)
    expect(wrongType.body).toMatchObject({ status: 415, error: 'Unsupported Media Type' })

    const plainText = await raw('{}', 'text/plain')
    expect(plainText.status).toBe(415)

    const noArray = await post({ entries: [] })
    expect(noArray).toEqual({
      status: 400,
      body: { status: 400, error: 'Bad Request', error_details: { mediaLibraryEntries: 'is required' } },
    })
    const notArray = await post({ mediaLibraryEntries: { id: 'x' } })
    expect(notArray.status).toBe(400)
    expect(notArray.body).toEqual({
      status: 400,
      error: 'Bad Request',
      error_details: { mediaLibraryEntries: 'must be array' },
    })
    const emptyArray = await post({ mediaLibraryEntries: [] })
    expect(emptyArray).toEqual({ status: 200, body: { mediaLibraryEntries: [] } })
  })

  it('enforces the entry and body limits with a clear error and writes nothing', async () => {
    const before = await countEntries()
    const tooMany = await post({ mediaLibraryEntries: Array.from({ length: 2001 }, () => imageEntry()) })
    expect(tooMany.status).toBe(400)
    expect(tooMany.body).toEqual({
      status: 400,
      error: 'Bad Request',
      error_details: { mediaLibraryEntries: 'must NOT have more than 2000 items' },
    })
    const huge = 'x'.repeat(3 * 1024 * 1024)
    const tooLarge = await post({ mediaLibraryEntries: [imageEntry({ metadata: { title: huge } })] })
    expect(tooLarge.status).toBe(413)
    expect(tooLarge.body).toMatchObject({
      status: 413,
      error: 'Payload Too Large',
      error_details: { message: expect.any(String) },
    })
    expect(await countEntries()).toBe(before)
  })
})
