import http from 'node:http'
import { connect } from 'node:net'
import { beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, useTestServer, type TestServer } from '../helpers/server.js'

describe.each(DIALECTS)('limits (%s)', (dialect) => {
  const use = useTestServer(
    dialect,
    { bodyBytes: 64 * 1024, idsPerRequest: 50, requestTimeoutMs: 1_500 },
    { listen: true },
  )
  let server: TestServer
  beforeAll(() => {
    server = use()
  })

  it('names the property of an over-long string', async () => {
    const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
      token: server.token,
      body: {
        mediaLibraryEntries: [
          imageEntry({ systemName: 's'.repeat(256) }),
          imageEntry({ id: 'x'.repeat(33) }),
        ],
      },
    })
    const [first, second] = (res.body as { mediaLibraryEntries: { error_details: { message: string } }[] })
      .mediaLibraryEntries
    expect(first!.error_details.message).toBe(
      "Invalid entry: '/systemName' must NOT have more than 255 characters",
    )
    expect(second!.error_details.message).toBe(
      "Invalid entry: '/id' must be 1 to 32 characters of a-z, A-Z, 0-9 and -",
    )
  })

  it('answers 413 to a body announced larger than the limit without reading it', async () => {
    const status = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(server.baseUrl)
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'POST /api/v1/import/mediaLibrary HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
            `Authorization: Bearer ${server.token}\r\nContent-Type: application/json\r\n` +
            'Content-Length: 10000000000\r\n\r\n{"mediaLibraryEntries":[',
        )
      })
      let data = ''
      socket.on('data', (d) => {
        data += d.toString()
        if (data.includes('\r\n\r\n') && data.includes('}')) {
          socket.destroy()
          resolve(data)
        }
      })
      socket.on('error', reject)
      setTimeout(() => reject(new Error(`no answer: ${data}`)), 5_000)
    })
    expect(status).toMatch(/^HTTP\/1\.1 413/)
    expect(status).toContain('"status":413,"error":"Payload Too Large"')
  })

  it('cuts off a client that trickles its body, while serving others', async () => {
    const { port } = new URL(server.baseUrl)
    const started = Date.now()
    let trickling = true
    const closed = new Promise<{ ms: number; answer: string }>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'POST /api/v1/import/mediaLibrary HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
            `Authorization: Bearer ${server.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
        )
        const drip = setInterval(() => {
          if (!trickling || socket.destroyed) return clearInterval(drip)
          socket.write(' ')
        }, 100)
      })
      let answer = ''
      socket.on('data', (d) => (answer += d.toString()))
      socket.on('error', () => undefined)
      socket.on('close', () => resolve({ ms: Date.now() - started, answer }))
    })
    // Meanwhile, other clients are served normally.
    for (let i = 0; i < 5; i++) {
      const res = await request(server, 'GET', '/api/v1/health')
      expect(res.status).toBe(200)
    }
    const { ms, answer } = await closed
    trickling = false
    expect(ms).toBeLessThan(6_000)
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true)
  })

  it('caps ids per lookup', async () => {
    const ids = Array.from({ length: 51 }, (_, i) => `id-${i}`).join(',')
    const res = await request(server, 'GET', `/api/v1/mediaLibrary?ids=${ids}`, { token: server.token })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ status: 400, error: 'Bad Request' })
  })
})

describe.each(DIALECTS)('rate limiting per token (%s)', (dialect) => {
  const use = useTestServer(dialect, { rateLimitPerMinute: 5 }, { listen: true })
  let server: TestServer
  beforeAll(() => {
    server = use()
  })

  it('answers 429 in the envelope with Retry-After once a token spent its budget; other tokens go on', async () => {
    const statuses: number[] = []
    let last: Awaited<ReturnType<typeof request>> | undefined
    for (let i = 0; i < 7; i++) {
      last = await request(server, 'GET', '/api/v1/mediaLibrary?ids=a', { token: server.token })
      statuses.push(last.status)
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429])
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(last!.body).toEqual({
      status: 429,
      error: 'Too Many Requests',
      error_details: {
        message: expect.stringMatching(
          /^Rate limit exceeded: at most 5 requests per minute; retry in \d+ s$/,
        ),
      },
    })
    const other = await server.createToken('default', ['public-api:read'])
    expect((await request(server, 'GET', '/api/v1/mediaLibrary?ids=a', { token: other })).status).toBe(200)
  })

  it('counts the UI session cookie under its token, apart from API calls with it and not by client address', async () => {
    const [first, second] = [
      await server.createToken('default', ['public-api:read']),
      await server.createToken('default', ['public-api:read']),
    ]
    const withCookie = (token: string) =>
      request(server, 'GET', '/api/2026-07/mediaLibrary?limit=1', {
        headers: { cookie: `other=1; medialib_session=${token}` },
      })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await withCookie(first)).status)
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
    // Same address, another token: its own budget.
    expect((await withCookie(second)).status).toBe(200)
    // The same token as a Bearer token (a script): the browser's budget is not the script's.
    expect((await request(server, 'GET', '/api/v1/mediaLibrary?ids=a', { token: first })).status).toBe(200)
  })

  it('counts every spelling the router and authentication accept: encoded paths, absolute URLs, bare tokens', async () => {
    const token = await server.createToken('default', ['public-api:read'])
    const { hostname: host, port } = new URL(server.baseUrl)
    // A raw request line, as fetch would normalise it: `GET <target> HTTP/1.1`.
    const raw = (target: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host, port, path: target, headers }, (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        })
        req.on('error', reject)
        req.end()
      })
    const bearer = { authorization: `Bearer ${token}` }
    const statuses = [
      await raw('/%61pi/v1/mediaLibrary?ids=a', bearer),
      await raw(`http://${host}/api/v1/mediaLibrary?ids=a`, bearer),
      await raw('/api/v1/mediaLibrary?ids=a', { authorization: token }), // the bare token, also accepted
      await raw('/api/v1/mediaLibrary?ids=a', bearer),
      await raw('/%61pi/v1/mediaLibrary?ids=a', bearer),
      await raw(`http://${host}/api/v1/mediaLibrary?ids=a`, bearer),
    ]
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
    const cookie = { cookie: `medialib_session= ${token}` }
    const ui = []
    for (let i = 0; i < 6; i++) ui.push(await raw('/%75i/session', cookie))
    expect(ui).toEqual([200, 200, 200, 200, 200, 429])
  })

  it("does not count the UI's page and static files, only what reads the database", async () => {
    const token = await server.createToken('default', ['public-api:read'])
    const cookie = { cookie: `medialib_session=${token}` }
    const page = await request(server, 'GET', '/', { headers: cookie })
    expect(page.status).toBe(200)
    const bundle = /src="\/(app-[^"]+\.js)"/.exec(String(page.body))?.[1]
    expect(bundle).toBeDefined()
    for (let i = 0; i < 8; i++) {
      expect((await request(server, 'GET', `/${bundle}`, { headers: cookie })).status).toBe(200)
      expect((await request(server, 'GET', '/imports', { headers: cookie })).status).toBe(200)
    }
    const statuses: number[] = []
    for (let i = 0; i < 6; i++)
      statuses.push((await request(server, 'GET', '/ui/session', { headers: cookie })).status)
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
  })
})
