import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { startServeCluster, type ServeCluster, type ServeProcess } from '../helpers/process.js'

/**
 * Issue 13, finding 12: a token sent as `?access_token=` was refused, but written in full to the request log.
 * A real `medialib serve` logs at info; every credential a client sends, whichever way, is checked against
 * every log line it printed.
 */
describe.each(DIALECTS)('the server log carries no credentials (%s)', (dialect) => {
  let cluster: ServeCluster
  let serve: ServeProcess

  beforeAll(async () => {
    cluster = await startServeCluster(dialect, { env: { MEDIALIB_LOG_LEVEL: 'info' } })
    serve = cluster.servers[0]!
  })
  afterAll(async () => {
    await cluster?.close()
  })

  it('redacts access_token parameters, Authorization and Cookie values in every line', async () => {
    const token = serve.firstToken!
    expect(token).toMatch(/^ml_[A-Za-z0-9]+_/)
    // `ml_<id>_<secret>`: the id is alphanumeric, the secret base64url (it may hold `_` itself).
    const secret = token.slice(token.indexOf('_', 3) + 1)
    expect(secret.length).toBeGreaterThanOrEqual(40)
    const forged = 'ml_abcdefabcdef_' + 'Z'.repeat(43)
    const base = serve.baseUrl
    const answers = [
      await fetch(`${base}/api/v1/mediaLibrary?access_token=${token}&limit=1`),
      await fetch(`${base}/api/v1/mediaLibrary?limit=1&ACCESS_TOKEN=${encodeURIComponent(token)}`),
      await fetch(`${base}/api/v1/no-such-route?access_token=${token}`),
      await fetch(`${base}/api/v1/mediaLibrary?limit=1`, { headers: { authorization: `Bearer ${token}` } }),
      await fetch(`${base}/api/v1/mediaLibrary?limit=1`, { headers: { authorization: token } }),
      await fetch(`${base}/api/v1/mediaLibrary?limit=1`, {
        headers: { cookie: `medialib_session=${token}` },
      }),
      await fetch(`${base}/api/v1/mediaLibrary?limit=1`, { headers: { authorization: `Bearer ${forged}` } }),
      await fetch(`${base}/api/v1/mediaLibrary?access_token=${forged}`),
    ]
    expect(answers.map((r) => r.status)).toEqual([401, 401, 404, 200, 200, 200, 401, 401])
    // The serve process writes its log asynchronously: wait (up to 10 s, on a busy CI) for every request's line.
    const logged = () =>
      serve
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
    for (let waited = 0; waited < 10_000; waited += 100) {
      if (logged().filter((l) => l.includes('"req"')).length >= answers.length) break
      await new Promise((r) => setTimeout(r, 100))
    }

    const lines = logged()
    const requestLines = lines.filter((l) => l.includes('"req"'))
    // The requests were logged (with their URLs), so the checks below look at real lines.
    expect(requestLines.length).toBeGreaterThanOrEqual(answers.length)
    // One line per request, written when it is answered, with its status.
    expect(lines.filter((l) => l.includes('"statusCode"')).length).toBe(answers.length)
    expect(lines.filter((l) => l.includes('incoming request')).length).toBe(0)
    expect(lines.some((l) => l.includes('access_token=[redacted]'))).toBe(true)
    for (const line of lines) {
      expect(line).not.toContain(secret)
      expect(line).not.toContain('Z'.repeat(43))
      expect(line).not.toMatch(/access_token=(?!\[redacted\])/i)
    }
    console.log(`checked ${lines.length} log lines (${requestLines.length} request lines)`)
  })
})
