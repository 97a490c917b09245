import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

const API = '/api/2026-07'
const MEDIA_TYPES = [{ handle: 'file', type: 'mediaFile', metadata: [{ handle: 'title', type: 'li-text' }] }]
const b64 = (s: string) => Buffer.from(s).toString('base64')

/**
 * The browser UI uploads by tus with its session cookie (docs/ui.md, Upload): the cookie counts like a
 * Bearer token of the same scopes, writes must carry the UI's `x-medialib-ui: 1`, and an upload belongs
 * to the session's project.
 */
describe.each(DIALECTS)('tus uploads with the UI session cookie (%s)', (dialect) => {
  let server: TestServer
  let writeCookie: string
  let readCookie: string
  let otherCookie: string

  const login = async (token: string) => {
    const res = await fetch(`${server.baseUrl}/ui/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-medialib-ui': '1' },
      body: JSON.stringify({ token }),
    })
    expect(res.status).toBe(200)
    return res.headers.get('set-cookie')!.split(';')[0]!
  }
  const tus = (method: string, path: string, headers: Record<string, string>, body?: Buffer) =>
    fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { 'tus-resumable': '1.0.0', ...headers },
      ...(body ? { body } : {}),
    })
  const create = (cookie: string, length: number, extra: Record<string, string> = {}) =>
    tus('POST', `${API}/uploads`, {
      cookie,
      'upload-length': String(length),
      'upload-metadata': `filename ${b64('notes.bin')},mediaType ${b64('file')}`,
      ...extra,
    })

  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { listen: true })
    await server.deps.projects.create('desk', MEDIA_TYPES as never)
    writeCookie = await login(await server.createToken('desk', ['public-api:read', 'public-api:write']))
    readCookie = await login(await server.createToken('desk', ['public-api:read']))
    otherCookie = await login(await server.createToken('other', ['public-api:read', 'public-api:write']))
  })
  afterAll(async () => {
    await server?.close()
  })

  it('creates, resumes and finishes an upload with the cookie and the UI header', async () => {
    const bytes = randomBytes(300_000)
    const created = await create(writeCookie, bytes.length, { 'x-medialib-ui': '1' })
    expect(created.status).toBe(201)
    const url = new URL(created.headers.get('location')!, server.baseUrl).pathname
    expect(url).toMatch(new RegExp(`^${API}/uploads/[0-9a-f]{32}$`))

    const first = await tus(
      'PATCH',
      url,
      {
        cookie: writeCookie,
        'x-medialib-ui': '1',
        'content-type': 'application/offset+octet-stream',
        'upload-offset': '0',
      },
      bytes.subarray(0, 100_000),
    )
    expect(first.status).toBe(204)
    // HEAD is a read: the cookie alone answers where to resume.
    const head = await tus('HEAD', url, { cookie: writeCookie })
    expect(head.status).toBe(200)
    expect(head.headers.get('upload-offset')).toBe('100000')
    // Another project's session does not see it.
    expect((await tus('HEAD', url, { cookie: otherCookie })).status).toBe(404)

    const last = await tus(
      'PATCH',
      url,
      {
        cookie: writeCookie,
        'x-medialib-ui': '1',
        'content-type': 'application/offset+octet-stream',
        'upload-offset': '100000',
      },
      bytes.subarray(100_000),
    )
    expect(last.status).toBe(204)
    const id = last.headers.get('medialib-entry-id')!
    expect(id).toBeTruthy()
    const entry = await fetch(`${server.baseUrl}${API}/mediaLibrary/${id}`, {
      headers: { cookie: writeCookie },
    })
    const record = (await entry.json()) as { mediaType: string; asset: { key: string; size: number } }
    expect(record).toMatchObject({ mediaType: 'file', asset: { size: bytes.length } })
    const served = await fetch(`${server.baseUrl}${API}/mediaLibrary/serve-image/${record.asset.key}`, {
      headers: { cookie: writeCookie },
    })
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
    expect(sha(new Uint8Array(await served.arrayBuffer()))).toBe(sha(bytes))
    expect(last.headers.get('medialib-duplicate')).toBeNull()

    // The same bytes again (duplicate policy skip): the final PATCH names the entry that holds them.
    const again = await create(writeCookie, bytes.length, { 'x-medialib-ui': '1' })
    const againUrl = new URL(again.headers.get('location')!, server.baseUrl).pathname
    const whole = await tus(
      'PATCH',
      againUrl,
      {
        cookie: writeCookie,
        'x-medialib-ui': '1',
        'content-type': 'application/offset+octet-stream',
        'upload-offset': '0',
      },
      bytes,
    )
    expect(whole.status).toBe(204)
    expect(whole.headers.get('medialib-entry-id')).toBe(id)
    expect(whole.headers.get('medialib-duplicate')).toBe('true')
  })

  it('refuses cookie writes without the UI header (CSRF guard) and sessions without the write scope', async () => {
    const noHeader = await create(writeCookie, 1000)
    expect(noHeader.status).toBe(403)
    expect(await noHeader.json()).toMatchObject({
      status: 403,
      error_details: { access_token: /x-medialib-ui: 1/ },
    })
    const readOnly = await create(readCookie, 1000, { 'x-medialib-ui': '1' })
    expect(readOnly.status).toBe(403)
    expect(
      (await tus('POST', `${API}/uploads`, { 'upload-length': '10', 'x-medialib-ui': '1' })).status,
    ).toBe(401)

    // Nor may a cookie without the header send bytes to, or remove, an upload it created.
    const created = await create(writeCookie, 1000, { 'x-medialib-ui': '1' })
    const url = new URL(created.headers.get('location')!, server.baseUrl).pathname
    const patch = await tus(
      'PATCH',
      url,
      { cookie: writeCookie, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      Buffer.alloc(10),
    )
    expect(patch.status).toBe(403)
    expect((await tus('DELETE', url, { cookie: writeCookie })).status).toBe(403)
    expect((await tus('HEAD', url, { cookie: writeCookie })).headers.get('upload-offset')).toBe('0')
    expect((await tus('DELETE', url, { cookie: writeCookie, 'x-medialib-ui': '1' })).status).toBe(204)
    expect((await tus('HEAD', url, { cookie: writeCookie })).status).toBe(404)
  })
})
