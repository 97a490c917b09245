import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { AppError } from '../errors.js'

/**
 * A server-wide budget of import body bytes in flight (issue 13, finding 10): each admitted request holds
 * its Content-Length (or the body limit, when it sends none) from before its body is read until its
 * response is finished or the connection closes. A request that does not fit waits in line up to `waitMs`;
 * then it gets 503 with Retry-After, its body unread. When nothing is in flight one request is always let
 * in, so a single body up to the body limit is never refused.
 */
export interface ImportBudget {
  /** The onRequest hook of the routes that take import bodies (after authentication). */
  hook: onRequestAsyncHookHandler
  /** Bytes held right now (for tests and the log). */
  inFlight(): number
}

interface Waiter {
  bytes: number
  admit(): void
}

export function createImportBudget(options: {
  limitBytes: number
  waitMs: number
  /** The route's body limit: what a request without Content-Length is counted as. */
  bodyLimitBytes: number
}): ImportBudget {
  let held = 0
  const line: Waiter[] = []
  const fits = (bytes: number) => held === 0 || held + bytes <= options.limitBytes

  const drain = () => {
    while (line.length > 0 && fits(line[0]!.bytes)) {
      const next = line.shift()!
      held += next.bytes
      next.admit()
    }
  }

  const acquire = (bytes: number): Promise<boolean> => {
    if (line.length === 0 && fits(bytes)) {
      held += bytes
      return Promise.resolve(true)
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        bytes,
        admit: () => {
          clearTimeout(timer)
          resolve(true)
        },
      }
      const timer = setTimeout(() => {
        line.splice(line.indexOf(waiter), 1)
        resolve(false)
        drain()
      }, options.waitMs)
      line.push(waiter)
    })
  }

  const declared = (request: FastifyRequest) => {
    const length = Number(request.headers['content-length'])
    return Number.isFinite(length) && length >= 0 ? length : options.bodyLimitBytes
  }

  return {
    inFlight: () => held,
    async hook(request: FastifyRequest, reply: FastifyReply) {
      const bytes = Math.min(declared(request), options.bodyLimitBytes)
      if (!(await acquire(bytes))) {
        reply.header('retry-after', String(Math.max(1, Math.ceil(options.waitMs / 1000))))
        throw new AppError(503, 'Service Unavailable', {
          message: 'The server is taking in as many import bodies as it can hold; try again later',
        })
      }
      let released = false
      const release = () => {
        if (released) return
        released = true
        held -= bytes
        drain()
      }
      reply.raw.once('close', release)
      reply.raw.once('finish', release)
    },
  }
}
