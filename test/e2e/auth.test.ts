import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const unauthorized = (message: string) => ({
  status: 401,
  body: { status: 401, error: 'Unauthorized', error_details: { access_token: message } },
})
/** The reference's 403, with the scope the token lacks named beside its message. */
const forbidden = (scope: string) => ({
  status: 403,
  body: {
    status: 403,
    error: 'Forbidden',
    error_details: { access_token: 'The request requires higher privileges', missing_scope: scope },
  },
})

describe.each(DIALECTS)('auth and project isolation (%s)', (dialect) => {
  let server: TestServer
  let readOnly: string
  let writeOnly: string
  let otherProject: string
  beforeAll(async () => {
    server = await startTestServer(dialect)
    readOnly = await server.createToken('default', ['public-api:read'])
    writeOnly = await server.createToken('default', ['public-api:write'])
    otherProject = await server.createToken('other-project', ['public-api:read', 'public-api:write'])
    const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: [imageEntry({ id: 'owned-by-default', externalId: 'shared-ext' })] },
    })
    expect(res.status).toBe(200)
  })
  afterAll(async () => {
    await server.close()
  })

  const status = (res: { status: number; body: unknown }) => ({ status: res.status, body: res.body })
  const importOne = (token: string | undefined, entry = imageEntry()) =>
    request(server, 'POST', '/api/v1/import/mediaLibrary', { token, body: { mediaLibraryEntries: [entry] } })

  it('answers 401 without a token, with an unknown or malformed token', async () => {
    expect(status(await importOne(undefined))).toEqual(unauthorized('The access token is missing.'))
    expect(status(await request(server, 'GET', '/api/v1/mediaLibrary/owned-by-default'))).toEqual(
      unauthorized('The access token is missing.'),
    )
    const forged = server.token.slice(0, -4) + 'AAAA'
    expect(status(await importOne(forged))).toEqual(unauthorized('The access token is invalid.'))
    expect(status(await importOne('not-a-token'))).toEqual(unauthorized('The access token is invalid.'))
    const basic = await request(server, 'GET', '/api/v1/mediaLibrary/owned-by-default', {
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    })
    expect(status(basic)).toEqual(unauthorized('The access token is invalid.'))
  })

  it('answers 403 when the scope is missing, and writes nothing', async () => {
    const entry = imageEntry({ id: 'read-only-write' })
    expect(status(await importOne(readOnly, entry))).toEqual(forbidden('public-api:write'))
    expect(
      status(await request(server, 'GET', '/api/v1/mediaLibrary/owned-by-default', { token: writeOnly })),
    ).toEqual(forbidden('public-api:read'))
    const read = await request(server, 'GET', '/api/v1/mediaLibrary/read-only-write', { token: readOnly })
    expect(read.status).toBe(404)
  })

  it('lets a read token read and a write token write', async () => {
    expect(
      (await request(server, 'GET', '/api/v1/mediaLibrary/owned-by-default', { token: readOnly })).status,
    ).toBe(200)
    const res = await importOne(writeOnly)
    expect((res.body as { mediaLibraryEntries: { ok: boolean }[] }).mediaLibraryEntries[0]!.ok).toBe(true)
  })

  it("never shows another project's entries, and keeps ids and externalIds per project", async () => {
    const get = await request(server, 'GET', '/api/v1/mediaLibrary/owned-by-default', { token: otherProject })
    expect(status(get)).toEqual({
      status: 404,
      body: {
        status: 404,
        error: 'Not Found',
        error_details: {
          name: 'NotFound',
          message: "MediaLibrary Entry does not exist (id: 'owned-by-default')",
        },
      },
    })
    const list = await request(server, 'GET', '/api/v1/mediaLibrary?ids=owned-by-default', {
      token: otherProject,
    })
    expect(list.body).toEqual({ mediaLibraryEntries: [] })
    const byExternal = await request(
      server,
      'GET',
      '/api/v1/mediaLibrary?externalId=shared-ext&systemName=legacy-archive',
      {
        token: otherProject,
      },
    )
    expect(byExternal.body).toEqual({ mediaLibraryEntries: [] })

    // The same id and (systemName, externalId) are free in the other project.
    const res = await importOne(
      otherProject,
      imageEntry({ id: 'owned-by-default', externalId: 'shared-ext' }),
    )
    expect((res.body as { mediaLibraryEntries: { ok: boolean }[] }).mediaLibraryEntries[0]!.ok).toBe(true)
    const mine = await request(server, 'GET', '/api/v1/mediaLibrary/owned-by-default', {
      token: server.token,
    })
    const theirs = await request(server, 'GET', '/api/v1/mediaLibrary/owned-by-default', {
      token: otherProject,
    })
    expect(mine.status).toBe(200)
    expect(theirs.status).toBe(200)
    expect((mine.body as { asset: unknown }).asset).not.toEqual((theirs.body as { asset: unknown }).asset)
  })

  it('refuses a revoked token at once', async () => {
    const token = await server.createToken('default', ['public-api:read'])
    expect((await request(server, 'GET', '/api/v1/mediaLibrary/owned-by-default', { token })).status).toBe(
      200,
    )
    const id = token.split('_')[1]!
    expect(await server.deps.tokens.revoke(id)).toBe(true)
    expect(status(await request(server, 'GET', '/api/v1/mediaLibrary/owned-by-default', { token }))).toEqual(
      unauthorized('The access token is invalid.'),
    )
  })

  it('stores only a hash of the secret', async () => {
    const rows = await server.deps.database.db.selectFrom('api_tokens').selectAll().execute()
    for (const row of rows) {
      expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/)
      expect(server.token).not.toContain(row.secret_hash)
    }
    expect(JSON.stringify(rows)).not.toContain(server.token.split('_').slice(2).join('_'))
  })

  it('serves health, the OpenAPI document and the docs page without a token; unknown routes get 404', async () => {
    expect(status(await request(server, 'GET', '/api/v1/health'))).toEqual({
      status: 200,
      body: { status: 'ok' },
    })
    const openapi = await request(server, 'GET', '/api/openapi.json')
    expect(openapi.status).toBe(200)
    const paths = Object.keys((openapi.body as { paths: Record<string, unknown> }).paths)
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/{apiVersion}/import/mediaLibrary',
        '/api/{apiVersion}/mediaLibrary/{id}',
        '/api/{apiVersion}/mediaLibrary',
        '/api/{apiVersion}/health',
      ]),
    )
    const docs = await server.fetch(`/api/docs/`)
    expect(docs.status).toBe(200)
    expect(await docs.text()).toContain('swagger')
    expect(status(await request(server, 'GET', '/api/v1/nothing-here?x=1'))).toEqual({
      status: 404,
      body: { status: 404, error: 'Not Found', error_details: { url: '/api/v1/nothing-here?x=1' } },
    })
  })
})
