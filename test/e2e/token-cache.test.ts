import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTokenRepository } from '../../src/db/token.repository.js'
import { TOKEN_CACHE_MS } from '../../src/projects/token.service.js'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

/** The token-lookup cache (docs/api.md): a token revoked elsewhere is refused within TOKEN_CACHE_MS. */
describe.each(DIALECTS)('token lookup cache (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer(dialect)
    const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: [imageEntry({ id: 'cached-token-entry' })] },
    })
    expect(res.status).toBe(200)
  })
  afterAll(async () => {
    await server.close()
  })

  it('refuses a token revoked by another process within TOKEN_CACHE_MS', async () => {
    const token = await server.createToken('default', ['public-api:read'])
    const get = () => request(server, 'GET', '/api/v1/mediaLibrary/cached-token-entry', { token })
    expect((await get()).status).toBe(200)
    // As `medialib tokens revoke` in another process does: the row changes, this server's cache does not know.
    const id = token.split('_')[1]!
    const revokedAt = Date.now()
    expect(await createTokenRepository(server.deps.database).revoke(id)).toBe(true)
    let res = await get()
    while (res.status === 200) {
      expect(Date.now() - revokedAt).toBeLessThan(TOKEN_CACHE_MS + 500)
      await new Promise((resolve) => setTimeout(resolve, 50))
      res = await get()
    }
    expect(res.status).toBe(401)
    expect(res.body).toMatchObject({ error_details: { access_token: 'The access token is invalid.' } })
    expect(Date.now() - revokedAt).toBeLessThan(TOKEN_CACHE_MS + 500)
  })

  it('refuses a token revoked through this process at once', async () => {
    const token = await server.createToken('default', ['public-api:read'])
    const get = () => request(server, 'GET', '/api/v1/mediaLibrary/cached-token-entry', { token })
    expect((await get()).status).toBe(200)
    expect(await server.deps.tokens.revoke(token.split('_')[1]!)).toBe(true)
    expect((await get()).status).toBe(401)
  })
})
