import { createHash } from 'node:crypto'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { semaphore } from '../semaphore.js'
import { HoldingSink } from '../storage/holding-sink.js'
import type { AddressGuard } from './address-guard.js'

/** Why a fetch failed; `transient` failures (timeouts, resets, 5xx, 429) are worth retrying. */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    /** For the server log only (resolved addresses, resolver and socket error codes): never in a reason. */
    readonly detail?: string,
  ) {
    super(message)
    this.name = 'FetchError'
  }
}

/** Resolves a host name to all its addresses (the shape of `dns.lookup` with `all: true`). */
export type ResolveAll = (
  hostname: string,
  options: { family?: number | 'IPv4' | 'IPv6'; hints?: number },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void

export interface FetcherOptions {
  guard: AddressGuard
  /** Name resolution; `dns.lookup` unless given (tests answer names without a DNS server). */
  resolve?: ResolveAll
  maxRedirects: number
  connectTimeoutMs: number
  totalTimeoutMs: number
  maxConcurrentDownloads: number
}

export interface Download {
  size: number
  sha256: string
  /** The URL after redirects. */
  finalUrl: string
  /** The whole body, when it was held in memory (at most `holdBytes`): then `file` was not written. */
  whole?: Buffer
}

export interface SafeFetcher {
  /** Checks a URL without fetching it: scheme, and (when the host is an IP literal) the address. */
  checkUrl(url: string): void
  /**
   * Downloads the URL into `file`, streaming, hashing and counting as it goes; at most `maxBytes`. A body of
   * at most `holdBytes` (default 0) is held in memory instead and comes back as `whole`; `file` is not written.
   */
  downloadToFile(url: string, file: string, maxBytes: number, holdBytes?: number): Promise<Download>
  /** POSTs a small body (webhooks), with the same address checks and timeouts; redirects are not followed. */
  post(url: string, body: string, headers: Record<string, string>): Promise<number>
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
])

const NETWORK_REASONS: Record<string, string> = {
  ECONNRESET: 'connection reset',
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  ECONNABORTED: 'connection aborted',
}

/** How long a download's idle keep-alive connection stays open for the next download from its host. */
const KEEP_ALIVE_IDLE_MS = 4_000
/** What a request on a reused connection meets when the server had closed it (it is sent again, once). */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE'])

export function createSafeFetcher(options: FetcherOptions): SafeFetcher {
  const { guard } = options
  const resolve: ResolveAll =
    options.resolve ?? ((hostname, opts, callback) => dnsLookup(hostname, { ...opts, all: true }, callback))
  const limit = semaphore(options.maxConcurrentDownloads)
  // Downloads reuse connections (an archive is mostly many files from few hosts): a socket is only ever
  // opened through `lookup` below, so a reused one is connected to an address that passed the guard. Idle
  // sockets close after KEEP_ALIVE_IDLE_MS, below the 5 s most servers keep them. Each fetcher has its own
  // agents (its own guard); POSTs (webhooks) open a connection of their own. No cap on sockets per host (the
  // semaphore caps downloads): a request never waits for a socket that is still draining an unread body.
  const agentOptions = {
    keepAlive: true,
    maxFreeSockets: options.maxConcurrentDownloads,
    timeout: KEEP_ALIVE_IDLE_MS,
    scheduling: 'lifo' as const,
  }
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) }

  // Resolves the name and hands the socket only addresses that passed the guard: the connection goes
  // to the very address that was checked (no second resolution an attacker could rebind).
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const { family, hints } = lookupOptions
    resolve(hostname, { ...(family ? { family } : {}), ...(hints ? { hints } : {}) }, (err, addresses) => {
      if (err) return callback(err, '', 4)
      const ok = addresses.filter((a) => guard.isAllowed(a.address))
      if (ok.length === 0) {
        const refused = new FetchError(
          `refused: the address of ${hostname} is not allowed`,
          false,
          `${hostname} resolves to ${addresses.map((a) => a.address).join(', ') || 'no address'}, none of them allowed`,
        )
        return callback(refused as NodeJS.ErrnoException, '', 4)
      }
      if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, ok)
      return callback(null, ok[0]!.address, ok[0]!.family)
    })
  }

  const parse = (raw: string): URL => {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new FetchError(`not a valid URL: ${raw}`, false)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new FetchError(`only http and https URLs are fetched, not ${url.protocol}`, false)
    }
    const host = url.hostname.replace(/^\[|\]$/g, '')
    if (isIP(host) && !guard.isAllowed(host)) {
      throw new FetchError(
        `refused: the address of ${host} is not allowed`,
        false,
        `${host} is not a public unicast address`,
      )
    }
    return url
  }

  /**
   * One request; resolves with the response (headers received) or rejects with a FetchError. A GET whose
   * reused connection turns out closed by the server (it timed out its idle socket as we sent) is sent once
   * more, on a new connection.
   */
  const requestOnce = (
    url: URL,
    method: string,
    signal: AbortSignal,
    headers: Record<string, string>,
    body?: string,
    fresh = false,
  ): Promise<IncomingMessage> =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const client = url.protocol === 'https:' ? https : http
      const agent = method === 'GET' && !fresh ? agents[url.protocol as 'http:' | 'https:'] : false
      const req = client.request(url, { method, headers, lookup, signal, agent })
      const connectTimer = setTimeout(() => {
        req.destroy(new FetchError(`connect timeout after ${options.connectTimeoutMs} ms`, true))
      }, options.connectTimeoutMs)
      req.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer)
        else socket.once('connect', () => clearTimeout(connectTimer))
      })
      let responded = false
      req.on('response', (res) => {
        responded = true
        clearTimeout(connectTimer)
        resolve(res)
      })
      req.on('error', (err) => {
        clearTimeout(connectTimer)
        const code = (err as NodeJS.ErrnoException).code
        // Only before any answer: a connection reset mid-body fails the download (the body's reader sees it).
        const stale = req.reusedSocket && !responded && STALE_SOCKET_CODES.has(code ?? '')
        if (stale && method === 'GET' && !signal.aborted) {
          requestOnce(url, method, signal, headers, body, true).then(resolve, reject)
          return
        }
        reject(toFetchError(err, signal, options.totalTimeoutMs))
      })
      req.end(body)
    })

  const service: SafeFetcher = {
    checkUrl(url) {
      parse(url)
    },
    downloadToFile: (rawUrl, file, maxBytes, holdBytes = 0) =>
      limit(async () => {
        const signal = AbortSignal.timeout(options.totalTimeoutMs)
        let url = parse(rawUrl)
        for (let hop = 0; ; hop++) {
          const res = await requestOnce(url, 'GET', signal, {
            accept: '*/*',
            'user-agent': 'medialib-url-import',
          })
          const status = res.statusCode ?? 0
          if (status >= 300 && status < 400 && res.headers.location) {
            res.resume()
            if (hop >= options.maxRedirects)
              throw new FetchError(`too many redirects (more than ${options.maxRedirects})`, false)
            url = parse(new URL(res.headers.location, url).toString())
            continue
          }
          if (status < 200 || status >= 300) {
            res.resume()
            const transient = status >= 500 || status === 408 || status === 429
            throw new FetchError(`HTTP ${status} from ${url.toString()}`, transient)
          }
          const declared = Number(res.headers['content-length'])
          if (Number.isFinite(declared) && declared > maxBytes) {
            res.destroy()
            throw new FetchError(`too large: ${declared} bytes, the limit is ${maxBytes}`, false)
          }
          const hash = createHash('sha256')
          let size = 0
          const counter = new Transform({
            transform(chunk: Buffer, _enc, done) {
              size += chunk.length
              if (size > maxBytes)
                return done(new FetchError(`too large: more than ${maxBytes} bytes`, false))
              hash.update(chunk)
              done(null, chunk)
            },
          })
          // Nothing to hold: straight to the file (which then exists even for an empty body).
          const sink = holdBytes > 0 ? new HoldingSink(file, holdBytes) : createWriteStream(file)
          try {
            await pipeline(res, counter, sink)
          } catch (err) {
            await rm(file, { force: true })
            throw toFetchError(err, signal, options.totalTimeoutMs)
          }
          const whole = sink instanceof HoldingSink ? sink.whole() : undefined
          return { size, sha256: hash.digest('hex'), finalUrl: url.toString(), ...(whole ? { whole } : {}) }
        }
      }),
    async post(rawUrl, body, headers) {
      const url = parse(rawUrl)
      const signal = AbortSignal.timeout(options.totalTimeoutMs)
      const res = await requestOnce(
        url,
        'POST',
        signal,
        { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        body,
      )
      res.resume()
      return res.statusCode ?? 0
    },
  }
  return service
}

function toFetchError(err: unknown, signal: AbortSignal, totalTimeoutMs: number): FetchError {
  if (err instanceof FetchError) return err
  if (signal.aborted) return new FetchError(`timeout: no complete response within ${totalTimeoutMs} ms`, true)
  const e = err as NodeJS.ErrnoException
  const detail = `${e.code ?? 'error'}: ${e.message}`
  if (e.code === 'ENOTFOUND') return new FetchError('host not found', false, detail)
  // The reason names what happened, never an address or resolver answer (those go to the log).
  return new FetchError(
    NETWORK_REASONS[e.code ?? ''] ?? 'network error',
    TRANSIENT_CODES.has(e.code ?? '') || e.code === undefined,
    detail,
  )
}
