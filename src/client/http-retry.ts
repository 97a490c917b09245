import http from 'node:http'
import https from 'node:https'
import type { Readable } from 'node:stream'
/** Retries for the API client: network errors, 429 and 5xx are retried with backoff; other answers are not. */

export interface RetryOptions {
  /** Attempts in all, the first included (default 8). */
  attempts: number
  /** Delay before the first retry, doubled each time with jitter (default 250 ms). */
  baseDelayMs: number
  /** Largest delay between two attempts (default 15 s). */
  maxDelayMs: number
  /** Called before each retry, e.g. to log it. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 8, baseDelayMs: 250, maxDelayMs: 15_000 }

/** The server could not be reached, or kept failing after every retry. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError'
}

/** An answer the client cannot use: a 4xx for the whole request, or a body that is not the API's. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}: ${describeBody(body)}`)
  }
}

function describeBody(body: unknown): string {
  if (body !== null && typeof body === 'object') {
    const { error, error_details } = body as { error?: unknown; error_details?: unknown }
    if (typeof error === 'string') return `${error} ${JSON.stringify(error_details ?? {})}`
  }
  return JSON.stringify(body)?.slice(0, 500) ?? String(body)
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500
}

/** The delay a 429 or 503 asks for (`Retry-After` in seconds or as a date), if any. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Exponential backoff with "full jitter": a random delay up to base·2^(attempt-1), capped. */
export function backoffMs(attempt: number, options: RetryOptions, random = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface JsonRequest {
  method: string
  headers: Record<string, string>
  /** A text, or a stream made afresh for each attempt (with its exact length): an upload's file. */
  body?: string | { length: number; open: () => Readable }
}

// node:http rather than fetch: undici alone would add ~40 MB to the client's memory.
const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
}

function send(
  url: URL,
  request: JsonRequest,
): Promise<{ status: number; retryAfter?: string; text: string }> {
  const secure = url.protocol === 'https:'
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers }
    const body = request.body
    if (body !== undefined)
      headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.length
    const req = (secure ? https : http).request(
      url,
      { method: request.method, headers, agent: agents[secure ? 'https:' : 'http:'], timeout: 600_000 },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const retryAfter = res.headers['retry-after']
          resolve({
            status: res.statusCode ?? 0,
            ...(retryAfter ? { retryAfter } : {}),
            text: Buffer.concat(chunks).toString('utf8'),
          })
        })
      },
    )
    req.on('error', reject)
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })))
    if (body === undefined || typeof body === 'string') req.end(body)
    else {
      const source = body.open()
      source.on('error', (err) => req.destroy(err))
      source.pipe(req)
    }
  })
}

/**
 * Sends a request, retrying network errors, 429 and 5xx. Returns the status and the parsed JSON body
 * of the first answer that is not retried; throws ConnectionError once the attempts are spent.
 */
export async function requestJsonWithRetry(
  url: string,
  request: JsonRequest,
  options: RetryOptions = DEFAULT_RETRY,
): Promise<{ status: number; body: unknown }> {
  const target = new URL(url)
  let lastReason = ''
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    let delay: number | undefined
    try {
      const res = await send(target, request)
      if (!isRetryableStatus(res.status)) {
        let body: unknown
        try {
          body = res.text === '' ? undefined : JSON.parse(res.text)
        } catch {
          throw new ApiError(res.status, res.text.slice(0, 500))
        }
        return { status: res.status, body }
      }
      lastReason = `HTTP ${res.status}`
      delay = retryAfterMs(res.retryAfter ?? null)
    } catch (err) {
      if (err instanceof ApiError) throw err
      lastReason = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    }
    if (attempt === options.attempts) break
    const wait = Math.min(options.maxDelayMs, delay ?? backoffMs(attempt, options))
    options.onRetry?.({ attempt, delayMs: wait, reason: lastReason })
    await sleep(wait)
  }
  throw new ConnectionError(`${url.replace(/\?.*/, '')}: ${lastReason} (after ${options.attempts} attempts)`)
}
