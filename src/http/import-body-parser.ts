import {
  errorCodes,
  type FastifyInstance,
  type FastifyRequest,
  type onRequestAsyncHookHandler,
} from 'fastify'
import type { ImportWorkers } from '../media/import-workers.js'

/**
 * The JSON body parser of the import route (issue 13, finding 10). A body of at least `workerMinBytes`
 * (by Content-Length) is copied as it arrives into one buffer, which is then moved (transferred, not copied) to the import
 * worker and parsed there
 * (src/media/import-worker.ts), which keeps the entries: the route's handler then imports them there by
 * the ticket this parser leaves (see `takeTicket`), and the event loop never parses, validates, writes
 * or serialises a big batch. Smaller bodies are read and parsed as Fastify does. Either way the errors are
 * Fastify's own: 413 past the body limit, 400 for a Content-Length that does not match, for invalid JSON,
 * and (through a small stand-in body that fails the route's schema the same way) for a wrong shape.
 */
export interface ImportBodyParser {
  /** The ticket of the entries the worker parsed for this request, taken once; undefined for small bodies. */
  takeTicket(request: FastifyRequest): number | undefined
  /**
   * The route's onRequest hook: when the response is closed (sent, or the client went away), entries the
   * handler did not take are dropped in the worker.
   */
  releaseOnClose: onRequestAsyncHookHandler
}

export function registerImportBodyParser(
  app: FastifyInstance,
  options: { bodyLimit: number; workerMinBytes: number; maxEntries: number; workers: ImportWorkers },
): ImportBodyParser {
  const { bodyLimit, workerMinBytes, maxEntries, workers } = options
  const tickets = new WeakMap<FastifyRequest, number>()
  const defaultJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', (request, payload, done) => {
    const contentLength = Number(request.headers['content-length'])
    if (contentLength > bodyLimit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), undefined)
    const inWorker = Number.isInteger(contentLength) && contentLength >= workerMinBytes
    const view = inWorker ? new Uint8Array(contentLength) : undefined
    const chunks: Buffer[] = []
    let received = 0

    const stop = () => {
      payload.removeListener('data', onData)
      payload.removeListener('end', onEnd)
      payload.removeListener('error', onEnd)
    }
    function onData(chunk: Buffer) {
      if (received + chunk.length > bodyLimit) {
        stop()
        return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), undefined)
      }
      if (view) {
        if (received + chunk.length <= view.length) view.set(chunk, received)
      } else chunks.push(chunk)
      received += chunk.length
    }
    function onEnd(err?: Error & { statusCode?: number }) {
      stop()
      if (err) {
        if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400
        return done(err, undefined)
      }
      if (!Number.isNaN(contentLength) && received !== contentLength) {
        return done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), undefined)
      }
      if (!view) {
        const text =
          chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, received).toString('utf8')
        return defaultJson(request, text, done)
      }
      workers.parse(view.buffer, received, maxEntries).then(
        (parsed) => {
          if (parsed.kind === 'invalid-json')
            return done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined)
          if (parsed.kind === 'shape') return done(null, parsed.standIn)
          tickets.set(request, parsed.ticket)
          done(null, { mediaLibraryEntries: [] })
        },
        (error: Error) => done(error, undefined),
      )
    }
    payload.on('data', onData)
    payload.on('end', onEnd)
    payload.on('error', onEnd)
    payload.resume()
  })

  return {
    takeTicket(request) {
      const ticket = tickets.get(request)
      tickets.delete(request)
      return ticket
    },
    async releaseOnClose(request, reply) {
      reply.raw.once('close', () => {
        const ticket = tickets.get(request)
        tickets.delete(request)
        if (ticket !== undefined) workers.discard(ticket)
      })
    },
  }
}
