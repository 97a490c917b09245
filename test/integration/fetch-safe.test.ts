import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAddressGuard } from '../../src/jobs/address-guard.js'
import { createSafeFetcher, type SafeFetcher } from '../../src/jobs/safe-fetcher.js'
import { fetchFailure } from '../helpers/fetch-failure.js'
import { makeImage, startMediaServer, type MediaServer } from '../helpers/media-server.js'

describe('address guard', () => {
  const strict = createAddressGuard([])
  it.each([
    '127.0.0.1',
    '127.8.9.1',
    '127.255.255.254',
    '10.1.2.3',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '192.168.255.255',
    '169.254.169.254',
    '169.254.0.1',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'febf:ffff::1',
    'fc00::1',
    'fd00:ec2::254',
    'fdff:ffff::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:172.16.0.1',
    '::ffff:192.168.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::7f00:1',
    'not-an-ip',
  ])('refuses %s by default', (address) => {
    expect(strict.isAllowed(address)).toBe(false)
  })
  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.15.255.255',
    '172.32.0.1',
    '192.169.0.1',
    '2606:2800:220:1:248:1893:25c8:1946',
    'fbff:ffff::1',
    '::ffff:8.8.8.8',
  ])('allows the public address %s', (address) => {
    expect(strict.isAllowed(address)).toBe(true)
  })
  it('allows what an allow-listed CIDR contains, also as IPv4-mapped IPv6', () => {
    const guard = createAddressGuard(['127.0.0.0/8', '::1'])
    expect(guard.isAllowed('127.0.0.1')).toBe(true)
    expect(guard.isAllowed('::ffff:127.0.0.1')).toBe(true)
    expect(guard.isAllowed('::1')).toBe(true)
    expect(guard.isAllowed('10.0.0.1')).toBe(false)
  })
  it('rejects a malformed CIDR at start', () => {
    expect(() => createAddressGuard(['10.0.0.0/99'])).toThrow(/not a CIDR/)
  })
})

describe('safe fetcher against a local server', () => {
  let media: MediaServer
  let dir: string
  let png: Buffer
  const options = {
    maxRedirects: 3,
    connectTimeoutMs: 2_000,
    totalTimeoutMs: 800,
    maxConcurrentDownloads: 4,
  }
  let open: SafeFetcher
  let strict: SafeFetcher
  const file = (name: string) => path.join(dir, name)

  beforeAll(async () => {
    media = await startMediaServer()
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-fetch-'))
    png = await makeImage('png', 64, 48)
    media.routes.set('/a.png', { body: png, type: 'image/png' })
    media.routes.set('/chunked.png', { body: Buffer.alloc(50_000, 1), chunked: true })
    media.routes.set('/slow.png', { body: png, delayMs: 3_000 })
    media.routes.set('/stall.png', { body: Buffer.alloc(20_000, 2), stallAfterHalfMs: 3_000 })
    media.routes.set('/boom.png', { body: Buffer.from('oops'), status: 503 })
    open = createSafeFetcher({ ...options, guard: createAddressGuard(['127.0.0.0/8']) })
    strict = createSafeFetcher({ ...options, guard: createAddressGuard([]) })
  })
  afterAll(async () => {
    await media.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const failure = fetchFailure

  it('downloads to a file with size and SHA-256', async () => {
    const d = await open.downloadToFile(media.url('/a.png'), file('a'), 1_000_000)
    expect(d.size).toBe(png.length)
    expect(d.sha256).toBe(createHash('sha256').update(png).digest('hex'))
    expect(readFileSync(file('a')).equals(png)).toBe(true)
  })

  it('follows a redirect chain within the limit and reports the final URL', async () => {
    const d = await open.downloadToFile(media.url('/redirect/3/a.png'), file('r'), 1_000_000)
    expect(d.finalUrl).toBe(media.url('/a.png'))
    expect(d.size).toBe(png.length)
  })

  it('stops a redirect chain longer than the limit', async () => {
    const err = await failure(open.downloadToFile(media.url('/redirect/4/a.png'), file('r4'), 1_000_000))
    expect(err.message).toMatch(/too many redirects/)
    expect(err.transient).toBe(false)
  })

  it('re-checks every redirect hop: a public-looking start cannot redirect to a private address', async () => {
    const hop = createSafeFetcher({ ...options, guard: createAddressGuard(['127.0.0.1/32']) })
    // 127.0.0.1 is allowed, 127.0.0.2 (where the redirect points) is not.
    const server = media.url('/redirect/1/a.png').replace('/redirect/1/a.png', '')
    const { createServer } = await import('node:http')
    const redirector = createServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.2:${new URL(server).port}/a.png` })
      res.end()
    })
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r))
    const port = (redirector.address() as { port: number }).port
    const err = await failure(hop.downloadToFile(`http://127.0.0.1:${port}/x`, file('h'), 1_000_000))
    expect(err.message).toBe('refused: the address of 127.0.0.2 is not allowed')
    redirector.close()
  })

  it('refuses private and loopback addresses by default, by literal and by DNS name', async () => {
    for (const url of [
      media.url('/a.png'),
      media.url('/a.png').replace('127.0.0.1', 'localhost'),
      'http://[::1]/a.png',
      'http://[::ffff:127.0.0.1]/a.png',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/x.png',
    ]) {
      const err = await failure(strict.downloadToFile(url, file('p'), 1_000_000))
      expect(err.message, url).toMatch(/^refused: /)
      expect(err.transient).toBe(false)
    }
    expect(existsSync(file('p'))).toBe(false)
  })

  it('refuses schemes other than http and https', async () => {
    for (const url of [
      'file:///etc/passwd',
      'ftp://127.0.0.1/x',
      'data:image/png;base64,AAAA',
      'gopher://x',
    ]) {
      expect((await failure(open.downloadToFile(url, file('s'), 10))).message).toMatch(/only http and https/)
    }
  })

  it('fails a 404 for good and a 503 as transient', async () => {
    const notFound = await failure(open.downloadToFile(media.url('/nope.png'), file('n'), 1000))
    expect(notFound.message).toMatch(/HTTP 404/)
    expect(notFound.transient).toBe(false)
    const unavailable = await failure(open.downloadToFile(media.url('/boom.png'), file('b'), 1000))
    expect(unavailable.message).toMatch(/HTTP 503/)
    expect(unavailable.transient).toBe(true)
  })

  it('refuses a body over the limit by Content-Length and by counting a chunked body', async () => {
    const declared = await failure(open.downloadToFile(media.url('/a.png'), file('big1'), 100))
    expect(declared.message).toMatch(/too large: \d+ bytes, the limit is 100/)
    const counted = await failure(open.downloadToFile(media.url('/chunked.png'), file('big2'), 10_000))
    expect(counted.message).toMatch(/too large: more than 10000 bytes/)
    expect(existsSync(file('big2'))).toBe(false)
  })

  it('times out a slow response and a stalled body (transient)', async () => {
    const slow = await failure(open.downloadToFile(media.url('/slow.png'), file('slow'), 1_000_000))
    expect(slow.message).toMatch(/timeout/)
    expect(slow.transient).toBe(true)
    const stalled = await failure(open.downloadToFile(media.url('/stall.png'), file('stall'), 1_000_000))
    expect(stalled.message).toMatch(/timeout/)
    expect(existsSync(file('stall'))).toBe(false)
  })
})
