import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { LookupAddress } from 'node:dns'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createAddressGuard } from '../../src/jobs/address-guard.js'
import { createSafeFetcher, type ResolveAll, type SafeFetcher } from '../../src/jobs/safe-fetcher.js'
import { fetchFailure } from '../helpers/fetch-failure.js'

/**
 * Downloads reuse kept-alive connections (URL imports fetch many files from few hosts), and reuse never
 * weakens the address check: a connection is only opened through the checked resolution, a name that
 * rebinds is checked again on the next connection, and a kept connection the server closed meanwhile costs a
 * new connection, not a failed item. Names are answered by a table the test controls; every TCP connection
 * the server accepts and every request on it is counted.
 */
describe('safe fetcher: kept-alive connections', () => {
  const BODY = Buffer.from('served over a kept-alive connection')
  let server: Server
  let port: number
  let dir: string
  let connections: Socket[]
  /** Requests served per connection (by its index in `connections`). */
  let served: number[]
  /** When set, the server drops a connection at its n-th request without answering (it "closed it"). */
  let dropAt: number | undefined
  /** When set, the server answers a connection's n-th request in part (headers, 10 bytes), then resets it. */
  let breakAt: number | undefined
  let asked: string[]
  let answers: Map<string, LookupAddress[][]>
  const resolve: ResolveAll = (hostname, _options, callback) => {
    asked.push(hostname)
    const list = answers.get(hostname) ?? []
    const n = asked.filter((h) => h === hostname).length
    setImmediate(() => callback(null, list[Math.min(n, list.length) - 1] ?? []))
  }
  let fetcher: SafeFetcher
  const file = (name: string) => path.join(dir, name)

  beforeAll(async () => {
    server = createServer((req, res) => {
      const n = connections.indexOf(req.socket)
      served[n] = (served[n] ?? 0) + 1
      if (dropAt !== undefined && served[n] === dropAt) {
        req.socket.destroy()
        return
      }
      if (breakAt !== undefined && served[n] === breakAt) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 100 })
        res.write(Buffer.alloc(10), () => setTimeout(() => req.socket.resetAndDestroy(), 20))
        return
      }
      req.resume()
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BODY.length })
      res.end(BODY)
    })
    server.on('connection', (socket) => connections.push(socket))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-keepalive-'))
    fetcher = createSafeFetcher({
      guard: createAddressGuard(['127.0.0.1/32']),
      resolve,
      maxRedirects: 3,
      connectTimeoutMs: 1_000,
      totalTimeoutMs: 5_000,
      maxConcurrentDownloads: 4,
    })
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
    rmSync(dir, { recursive: true, force: true })
  })
  beforeEach(() => {
    server.closeAllConnections()
    connections = []
    served = []
    dropAt = undefined
    breakAt = undefined
    asked = []
    answers = new Map()
  })

  /** Until the client has seen its kept connections closed by the server (they leave its pool). */
  const closeKept = async () => {
    server.closeIdleConnections()
    await new Promise((r) => setTimeout(r, 50))
  }

  it('one after another from one host: one resolution, one connection', async () => {
    answers.set('archive.test', [[{ address: '127.0.0.1', family: 4 }]])
    for (let i = 0; i < 5; i++) {
      const d = await fetcher.downloadToFile(`http://archive.test:${port}/f${i}`, file(`one-${i}`), 1_000)
      expect(d.size).toBe(BODY.length)
      expect(readFileSync(file(`one-${i}`)).equals(BODY)).toBe(true)
    }
    expect(asked).toEqual(['archive.test'])
    expect(connections).toHaveLength(1)
    expect(served).toEqual([5])
  })

  it('a name that rebinds is checked again on the next connection and refused', async () => {
    answers.set('rebind.test', [[{ address: '127.0.0.1', family: 4 }], [{ address: '127.0.0.2', family: 4 }]])
    await fetcher.downloadToFile(`http://rebind.test:${port}/a`, file('rebind-a'), 1_000)
    // While the connection is kept, it is reused: it goes to the address that was checked.
    await fetcher.downloadToFile(`http://rebind.test:${port}/b`, file('rebind-b'), 1_000)
    expect(asked).toEqual(['rebind.test'])
    await closeKept()
    const err = await fetchFailure(
      fetcher.downloadToFile(`http://rebind.test:${port}/c`, file('rebind-c'), 1_000),
    )
    expect(err.message).toBe('refused: the address of rebind.test is not allowed')
    expect(asked).toEqual(['rebind.test', 'rebind.test'])
    expect(connections).toHaveLength(1)
  })

  it('a kept connection the server closed as the request went out: sent again on a new connection', async () => {
    answers.set('flaky.test', [[{ address: '127.0.0.1', family: 4 }]])
    dropAt = 2
    await fetcher.downloadToFile(`http://flaky.test:${port}/1`, file('flaky-1'), 1_000)
    const d = await fetcher.downloadToFile(`http://flaky.test:${port}/2`, file('flaky-2'), 1_000)
    expect(d.size).toBe(BODY.length)
    expect(readFileSync(file('flaky-2')).equals(BODY)).toBe(true)
    // The second request met the dropped connection, then a new one (resolved and checked again).
    expect(connections).toHaveLength(2)
    expect(served).toEqual([2, 1])
    expect(asked).toEqual(['flaky.test', 'flaky.test'])
  })

  it('a kept connection reset after the answer began: the download fails, and nothing is sent again', async () => {
    answers.set('broken.test', [[{ address: '127.0.0.1', family: 4 }]])
    breakAt = 2
    await fetcher.downloadToFile(`http://broken.test:${port}/1`, file('broken-1'), 1_000)
    const err = await fetchFailure(
      fetcher.downloadToFile(`http://broken.test:${port}/2`, file('broken-2'), 1_000),
    )
    expect(err.transient).toBe(true)
    await new Promise((r) => setTimeout(r, 100))
    expect(served).toEqual([2])
    expect(connections).toHaveLength(1)
  })

  it('a new connection that fails is not retried: the failure is the item’s', async () => {
    answers.set('drop.test', [[{ address: '127.0.0.1', family: 4 }]])
    dropAt = 1
    const err = await fetchFailure(fetcher.downloadToFile(`http://drop.test:${port}/x`, file('drop'), 1_000))
    expect(err.transient).toBe(true)
    expect(connections).toHaveLength(1)
  })
})
