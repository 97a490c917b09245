import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const UI = { 'x-medialib-ui': '1' }

function cookieOf(res: { headers: Headers }): string {
  const set = res.headers.get('set-cookie') ?? ''
  return set.split(';')[0] ?? ''
}

describe.each(DIALECTS)('UI session and static files (%s)', (dialect) => {
  let server: TestServer
  let readToken: string
  beforeAll(async () => {
    server = await startTestServer(dialect)
    readToken = await server.createToken('default', ['public-api:read'])
    const res = await request(server, 'POST', '/api/2026-07/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: [imageEntry({ id: 'ui-1' })] },
    })
    expect(res.status).toBe(200)
  })
  afterAll(async () => server?.close())

  it('serves the page at / and at client routes, the hashed bundle for good, and keeps API 404s in JSON', async () => {
    let page = ''
    for (const url of ['/', '/entries/ui-1', '/imports', '/trash', '/login']) {
      const res = await server.fetch(`${url}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self';/)
      expect(res.headers.get('cache-control')).toMatch(/no-cache|max-age=0/)
      page = await res.text()
    }
    // The library's first page is preloaded only where the app asks for exactly that page.
    const preloads = async (url: string) =>
      [...(await (await server.fetch(`${url}`)).text()).matchAll(/rel="preload" href="([^"]+)"/g)].map(
        (m) => m[1],
      )
    expect(await preloads('/')).toEqual(['/ui/session', '/api/2026-07/mediaLibrary?sort=-createdAt&limit=60'])
    for (const url of ['/?q=cat', '/imports', '/trash', '/entries/ui-1', '/login']) {
      expect(await preloads(url), url).toEqual(['/ui/session'])
    }
    // One bundle and one stylesheet, both under content-hashed names.
    const assets = [...page.matchAll(/(?:src|href)="(\/(?:app|style)-[\w-]+\.(?:js|css))"/g)].map(
      (m) => m[1]!,
    )
    expect(assets).toHaveLength(2)
    for (const url of assets) {
      const res = await server.fetch(`${url}`)
      expect(res.status, url).toBe(200)
      expect(res.headers.get('cache-control'), url).toBe('public, max-age=31536000, immutable')
      expect(res.headers.get('content-type'), url).toMatch(/javascript|text\/css/)
      expect((await res.text()).length, url).toBeGreaterThan(1000)
    }
    for (const url of ['/app.js', '/vendor/preact.js', '/library.js', '/index.html']) {
      expect((await server.fetch(`${url}`)).status, url).toBe(404)
    }
    const missing = await request(server, 'GET', '/api/2026-07/nothing-here')
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual({
      status: 404,
      error: 'Not Found',
      error_details: { url: '/api/2026-07/nothing-here' },
    })
    expect((await request(server, 'GET', '/no-such-page')).status).toBe(404)
  })

  it('logs in with a token into an HttpOnly SameSite=Strict cookie that authenticates API reads', async () => {
    const bad = await request(server, 'POST', '/ui/login', { body: { token: 'ml_nope_nope' }, headers: UI })
    expect(bad.status).toBe(401)
    expect(bad.headers.get('set-cookie')).toBeNull()

    const res = await request(server, 'POST', '/ui/login', { body: { token: server.token }, headers: UI })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ project: 'default', scopes: ['public-api:read', 'public-api:write'] })
    const setCookie = res.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/^medialib_session=ml_[^;]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/)
    const cookie = cookieOf(res)

    const session = await request(server, 'GET', '/ui/session', { headers: { cookie } })
    expect(session.status).toBe(200)
    expect((session.body as { mediaTypes: { handle: string }[] }).mediaTypes.map((t) => t.handle)).toEqual([
      'image',
      'video',
      'file',
    ])
    // The entry page's usage-log form offers the project's purposes: every project starts with `web`.
    expect((session.body as { usagePurposes: unknown[] }).usagePurposes).toEqual([
      { handle: 'web', label: 'Web' },
    ])
    const entry = await request(server, 'GET', '/api/2026-07/mediaLibrary/ui-1', { headers: { cookie } })
    expect(entry.status).toBe(200)
    const facts = await request(server, 'GET', '/ui/entries/ui-1/facts', { headers: { cookie } })
    expect(facts.body).toEqual({ id: 'ui-1', sha256: null })
    expect((await request(server, 'GET', '/ui/entries/nope/facts', { headers: { cookie } })).status).toBe(404)

    const out = await request(server, 'POST', '/ui/logout', { headers: UI })
    expect(out.headers.get('set-cookie')).toBe(
      'medialib_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0',
    )
  })

  it('sets Secure behind a trusted TLS proxy only', async () => {
    const headers = { ...UI, 'x-forwarded-proto': 'https' }
    const untrusted = await request(server, 'POST', '/ui/login', { body: { token: server.token }, headers })
    expect(untrusted.headers.get('set-cookie')).not.toMatch(/Secure/)
    const trusting = await startTestServer(dialect, { ui: { trustForwardedProto: true } })
    try {
      const token = await trusting.createToken('default', ['public-api:read'])
      const res = await request(trusting, 'POST', '/ui/login', { body: { token }, headers })
      expect(res.headers.get('set-cookie')).toMatch(/; Secure$/)
    } finally {
      await trusting.close()
    }
  })

  it('refuses cookie-authenticated writes without the UI header (CSRF), and read-only tokens (403)', async () => {
    const login = await request(server, 'POST', '/ui/login', { body: { token: server.token }, headers: UI })
    const cookie = cookieOf(login)
    const body = { patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'CSRF' }] }
    const forged = await request(server, 'PATCH', '/api/2026-07/mediaLibrary/ui-1', {
      body,
      headers: { cookie },
    })
    expect(forged.status).toBe(403)
    expect((await request(server, 'POST', '/ui/login', { body: { token: server.token } })).status).toBe(403)
    const asForm = await request(server, 'POST', '/ui/login', {
      rawBody: `token=${server.token}`,
      headers: { ...UI, 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(asForm.status).toBe(415)
    const stored = await request(server, 'GET', '/api/2026-07/mediaLibrary/ui-1', { token: server.token })
    expect((stored.body as { metadata: { title: string } }).metadata.title).not.toBe('CSRF')

    const ok = await request(server, 'PATCH', '/api/2026-07/mediaLibrary/ui-1', {
      body,
      headers: { cookie, ...UI },
    })
    expect(ok.status).toBe(200)

    const readLogin = await request(server, 'POST', '/ui/login', { body: { token: readToken }, headers: UI })
    const readOnly = await request(server, 'PATCH', '/api/2026-07/mediaLibrary/ui-1', {
      body,
      headers: { cookie: cookieOf(readLogin), ...UI },
    })
    expect(readOnly.status).toBe(403)
    // The Bearer path is unchanged and wins over a cookie.
    const bearer = await request(server, 'GET', '/api/2026-07/mediaLibrary/ui-1', {
      token: 'ml_wrong_wrong',
      headers: { cookie },
    })
    expect(bearer.status).toBe(401)
  })
})
