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

/**
 * Sends a request with `fetch`, retrying network errors, 429 and 5xx. Returns the status and the parsed
 * JSON body of the first answer that is not retried; throws ConnectionError once the attempts are spent.
 */
export async function fetchJsonWithRetry(
  url: string,
  init: RequestInit,
  options: RetryOptions = DEFAULT_RETRY,
): Promise<{ status: number; body: unknown }> {
  let lastReason = ''
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    let delay: number | undefined
    try {
      const res = await fetch(url, init)
      const text = await res.text()
      if (!isRetryableStatus(res.status)) {
        let body: unknown
        try {
          body = text === '' ? undefined : JSON.parse(text)
        } catch {
          throw new ApiError(res.status, text.slice(0, 500))
        }
        return { status: res.status, body }
      }
      lastReason = `HTTP ${res.status}`
      delay = retryAfterMs(res.headers.get('retry-after'))
    } catch (err) {
      if (err instanceof ApiError) throw err
      const cause = (err as { cause?: { code?: string; message?: string } }).cause
      lastReason = cause?.code ?? cause?.message ?? (err as Error).message
    }
    if (attempt === options.attempts) break
    const wait = Math.min(options.maxDelayMs, delay ?? backoffMs(attempt, options))
    options.onRetry?.({ attempt, delayMs: wait, reason: lastReason })
    await sleep(wait)
  }
  throw new ConnectionError(`${url.replace(/\?.*/, '')}: ${lastReason} (after ${options.attempts} attempts)`)
}
