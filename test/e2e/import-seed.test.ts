import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry, SEED_ERROR_RESPONSE, SEED_REQUEST } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe.each(DIALECTS)('POST /api/v1/import/mediaLibrary, the seed page (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer(dialect)
  })
  afterAll(async () => {
    await server.close()
  })

  const post = (body: unknown, version = 'v1') =>
    request(server, 'POST', `/api/${version}/import/mediaLibrary`, { token: server.token, body })

  it('answers the seed example request exactly as the seed shows, with the full record', async () => {
    const res = await post(SEED_REQUEST)
    expect(res.status).toBe(200)
    const body = res.body as { mediaLibraryEntries: Record<string, unknown>[] }
    expect(body.mediaLibraryEntries).toHaveLength(1)
    const [result] = body.mediaLibraryEntries
    const { record, ...rest } = result as { record: Record<string, unknown> }
    expect(rest).toEqual({ ok: true, status: 200, id: 'custom-1' })
    const source = SEED_REQUEST.mediaLibraryEntries[0]!
    expect(record).toEqual({
      id: 'custom-1',
      version: 1,
      mediaType: 'image',
      systemName: 'externalSystem',
      externalId: '6hedie82',
      asset: source.asset,
      metadata: source.metadata,
      createdAt: expect.stringMatching(ISO),
      updatedAt: record.createdAt,
    })
    expect(Object.keys(record)).toEqual([
      'id',
      'version',
      'mediaType',
      'systemName',
      'externalId',
      'asset',
      'metadata',
      'createdAt',
      'updatedAt',
    ])

    const read = await request(server, 'GET', '/api/v1/mediaLibrary/custom-1', { token: server.token })
    expect(read.status).toBe(200)
    expect(read.body).toEqual(record)
  })

  it('answers the four error cases of the seed to the letter', async () => {
    const setup = await post({
      mediaLibraryEntries: [
        imageEntry({ id: 'holder-1', systemName: 'externalSystem', externalId: 'external-1' }),
      ],
    })
    expect((setup.body as { mediaLibraryEntries: { ok: boolean }[] }).mediaLibraryEntries[0]!.ok).toBe(true)

    const res = await post({
      mediaLibraryEntries: [
        // 1. the id is taken (by the seed example above)
        imageEntry({ id: 'custom-1', externalId: undefined, systemName: undefined }),
        // 2. (systemName, externalId) is taken by holder-1
        imageEntry({ id: 'custom-2', systemName: 'externalSystem', externalId: 'external-1' }),
        // 3. an externalId without a systemName
        imageEntry({ id: 'custom-3', systemName: undefined, externalId: 'external-3' }),
        // 4. a title that is not a string
        imageEntry({ id: 'custom-4', metadata: { title: 42 } }),
      ],
    })
    expect(res.status).toBe(200)
    expect(res.body).toEqual(SEED_ERROR_RESPONSE)
    expect(JSON.stringify(res.body)).toBe(JSON.stringify(SEED_ERROR_RESPONSE))

    const ids = await request(server, 'GET', '/api/v1/mediaLibrary?ids=custom-2,custom-3,custom-4', {
      token: server.token,
    })
    expect(ids.body).toEqual({ mediaLibraryEntries: [] })
  })

  it('answers the same under beta', async () => {
    const res = await post(
      { mediaLibraryEntries: [imageEntry({ id: 'custom-4b', metadata: { title: 42 } })] },
      'beta',
    )
    expect(res.body).toEqual({
      mediaLibraryEntries: [
        {
          ...SEED_ERROR_RESPONSE.mediaLibraryEntries[3],
          correlation: 'id: custom-4b',
        },
      ],
    })
  })
})
