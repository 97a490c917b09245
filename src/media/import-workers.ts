import { PassThrough, type Readable } from 'node:stream'
import { Worker } from 'node:worker_threads'
import type { ImportWorkerData, ImportWorkerReply, ImportWorkerRequest } from './import-worker.js'
import type { Actor } from '../events/entry-events.js'

/**
 * The main thread's side of the import worker (src/media/import-worker.ts): one worker thread, started with
 * the first big body and kept while the server runs. Replies are matched to requests by id; if the worker
 * dies, every waiting request fails (a 500) and the next big body starts a new worker.
 */
export interface ImportWorkers {
  /**
   * Parses a body (the first `length` bytes of `bytes`) in the worker; its entries stay there. `bytes` is
   * transferred: unusable here afterwards, and freed by the worker as soon as it is parsed.
   */
  parse(bytes: ArrayBuffer, length: number, maxEntries: number): Promise<ParsedInWorker>
  /**
   * Imports parsed entries: the response body (JSON, streamed as the worker writes it; it settles once the
   * batch is written) and the count of entries created and failed.
   */
  /** `actor`: who the entry events of the batch name (issue #16). */
  import(ticket: number, project: string, apiVersion: string, actor: Actor): Promise<ImportedInWorker>
  /** Drops parsed entries whose request went away. */
  discard(ticket: number): void
  close(): Promise<void>
}

export type ParsedInWorker =
  { kind: 'invalid-json' } | { kind: 'shape'; standIn: unknown } | { kind: 'entries'; ticket: number }

export interface ImportedInWorker {
  body: Readable
  created: number
  failed: number
}

/** The worker's script: built JavaScript next to this file, or under dist/ when this runs as TypeScript (tests). */
function workerScript(): URL {
  const here = new URL(import.meta.url)
  return here.pathname.endsWith('.ts')
    ? new URL('../../dist/src/media/import-worker.js', here)
    : new URL('./import-worker.js', here)
}

export function createImportWorkers(data: ImportWorkerData): ImportWorkers {
  let worker: Worker | undefined
  let nextId = 1
  /** Who waits for replies to each id: `take` returns true when its last reply came. */
  const waiting = new Map<number, { take(reply: ImportWorkerReply): boolean; fail(err: Error): void }>()

  const started = (): Worker => {
    if (worker) return worker
    const w = new Worker(workerScript(), {
      workerData: data,
      // Short-lived garbage (each entry's JSON) is collected young instead of growing the old space.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    })
    w.on('message', (reply: ImportWorkerReply) => {
      const waiter = waiting.get(reply.id)
      if (waiter?.take(reply)) waiting.delete(reply.id)
    })
    const fail = (err: Error) => {
      if (worker === w) worker = undefined
      for (const waiter of waiting.values()) waiter.fail(err)
      waiting.clear()
    }
    w.on('error', fail)
    w.on('exit', (code) => fail(new Error(`the import worker exited (${code})`)))
    // An idle worker does not keep the process alive.
    w.unref()
    worker = w
    return w
  }

  const send = (
    message: ImportWorkerRequest,
    waiter: { take(reply: ImportWorkerReply): boolean; fail(err: Error): void },
  ) => {
    waiting.set(message.id, waiter)
    started().postMessage(message, message.type === 'parse' ? [message.bytes] : [])
  }
  const errorOf = (reply: ImportWorkerReply) =>
    'error' in reply ? Object.assign(new Error(reply.error.message), { code: reply.error.code }) : undefined

  return {
    async parse(bytes, length, maxEntries) {
      const id = nextId++
      const reply = await new Promise<ImportWorkerReply>((resolve, reject) =>
        send(
          { type: 'parse', id, bytes, length, maxEntries },
          { take: (r) => (resolve(r), true), fail: reject },
        ),
      )
      if (!('parsed' in reply)) throw new Error('the import worker answered a parse with something else')
      if (reply.parsed === 'entries') return { kind: 'entries', ticket: id }
      return reply.parsed === 'shape' ? { kind: 'shape', standIn: reply.standIn } : { kind: 'invalid-json' }
    },
    import(ticket, project, apiVersion, actor) {
      return new Promise((resolve, reject) => {
        let body: PassThrough | undefined
        send(
          { type: 'import', id: ticket, project, apiVersion, actor },
          {
            take(reply) {
              const error = errorOf(reply)
              if (error || !('piece' in reply)) {
                const err = error ?? new Error('the import worker answered an import with something else')
                if (body) body.destroy(err)
                else reject(err)
                return true
              }
              const piece = Buffer.from(reply.piece.buffer, reply.piece.byteOffset, reply.piece.byteLength)
              if (!body) {
                body = new PassThrough()
                resolve({ body, created: reply.created ?? 0, failed: reply.failed ?? 0 })
              }
              if (reply.last) body.end(piece)
              else body.write(piece)
              return reply.last
            },
            fail(err) {
              if (body) body.destroy(err)
              else reject(err)
            },
          },
        )
      })
    },
    discard(ticket) {
      worker?.postMessage({ type: 'discard', id: ticket } satisfies ImportWorkerRequest)
    },
    async close() {
      const w = worker
      worker = undefined
      if (w) await w.terminate()
    },
  }
}
