import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { request, useTestServer } from '../helpers/server.js'

/** The real Livingdocs client (@livingdocs/node-sdk): its one media library call, `getMedia`. */
interface LivingdocsClient {
  getMedia(options?: Record<string, unknown>): Promise<unknown>
}
const require = createRequire(import.meta.url)
// The client module alone: the package's index also loads the browser framework bundle, unused here.
const Client = require('@livingdocs/node-sdk/client') as new (config: {
  url: string
  accessToken: string
}) => LivingdocsClient

const entry = (id: string, externalId: string) => ({
  id,
  systemName: 'sdk-system',
  externalId,
  mediaType: 'image',
  asset: {
    key: `sdk/${id}.jpg`,
    url: `https://cdn.example.com/sdk/${id}.jpg`,
    size: 100,
    width: 10,
    height: 10,
    mimeType: 'image/jpeg',
    filename: `${id}.jpg`,
  },
  metadata: { title: `Title ${id}` },
})

type Listed = { mediaLibraryEntries: { id: string }[]; cursor?: string | null }
const ids = (body: unknown) => (body as Listed).mediaLibraryEntries.map((e) => e.id)

describe.each(DIALECTS)('@livingdocs/node-sdk getMedia against medialib (%s)', (dialect) => {
  const server = useTestServer(dialect, {}, { listen: true })
  const client = () => new Client({ url: server().baseUrl, accessToken: server().token })

  it('imports the entries the SDK reads', async () => {
    const res = await request(server(), 'POST', '/api/v1/import/mediaLibrary', {
      token: server().token,
      body: {
        mediaLibraryEntries: [entry('sdk-a', 'ext-a'), entry('sdk-b', 'ext-b'), entry('sdk-c', 'ext-c')],
      },
    })
    expect(res.status).toBe(200)
  })

  it('by id (GET /api/v1/mediaLibrary/{id})', async () => {
    const got = (await client().getMedia({ id: 'sdk-b' })) as { id: string; metadata: unknown }
    expect(got).toMatchObject({ id: 'sdk-b', metadata: { title: 'Title sdk-b' } })
  })

  it('ids as an array (ids[0]=…&ids[1]=…): exactly those, in the order asked', async () => {
    expect(ids(await client().getMedia({ ids: ['sdk-c', 'sdk-a'] }))).toEqual(['sdk-c', 'sdk-a'])
  })

  it('ids as a comma string', async () => {
    expect(ids(await client().getMedia({ ids: 'sdk-b,sdk-c' }))).toEqual(['sdk-b', 'sdk-c'])
  })

  it('externalId with systemName (one, and as an array)', async () => {
    expect(ids(await client().getMedia({ externalId: 'ext-a', systemName: 'sdk-system' }))).toEqual(['sdk-a'])
    expect(
      ids(await client().getMedia({ externalId: ['ext-c', 'ext-b'], systemName: 'sdk-system' })),
    ).toEqual(['sdk-c', 'sdk-b'])
  })

  it('no filter: the first page of the library', async () => {
    const page = (await client().getMedia()) as Listed
    expect(ids(page)).toEqual(['sdk-a', 'sdk-b', 'sdk-c'])
    expect(page.cursor).toBeNull()
  })

  it('a misspelt filter is a 400 naming it, not the whole library', async () => {
    expect(await client().getMedia({ idz: 'sdk-a' })).toMatchObject({
      status: 400,
      error: 'Bad Request',
      error_details: { idz: 'is not a query parameter of this route' },
    })
  })
})
