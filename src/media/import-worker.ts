/**
 * The import worker (a `worker_threads` thread; issue 13, finding 10): big import bodies are parsed,
 * validated, written and answered here, on a database connection of its own, so the server's event loop
 * only moves bytes while a 64 MiB batch is imported. The import is the same code as on the main thread
 * (createImportService, presentImportResult): one transaction, results exact and in order.
 *
 * Messages (src/media/import-workers.ts is the other side):
 * - `parse` {id, bytes, length, maxEntries} → {id, parsed: kind and, for `shape`, the stand-in body};
 *   the entries stay here under `id` until `import` or `discard`.
 * - `import` {id, project, apiVersion} → pieces of the response {id, piece (transferred), last}, the first
 *   with the counts {created, failed}; or {id, error} before any piece.
 * - `discard` {id}: the request went away before its import.
 */
import { setPriority } from 'node:os'
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { sql } from 'kysely'
import { openDatabase } from '../db/database.js'
import { createEntryEventRepository } from '../db/entry-event.repository.js'
import { createMediaEntryRepository } from '../db/media-entry.repository.js'
import { createActorContext } from '../events/actor-context.js'
import type { Actor } from '../events/entry-events.js'
import { createProjectRepository } from '../db/project.repository.js'
import { API_VERSIONS, presentImportResult } from '../http/api-versions.js'
import { createProjectService } from '../projects/project.service.js'
import { createAjv } from './ajv.js'
import { createEntryValidator } from './entry-validator.js'
import { parseImportBody } from './import-body.js'
import { createImportService, type ImportResult } from './import.service.js'
import { refuseSourceKeys } from '../sources/reserved-keys.js'

export interface ImportWorkerData {
  databaseUrl: string | undefined
  dataDir: string
}

export type ImportWorkerRequest =
  | { type: 'parse'; id: number; bytes: ArrayBuffer; length: number; maxEntries: number }
  | { type: 'import'; id: number; project: string; apiVersion: string; actor: Actor }
  | { type: 'discard'; id: number }

export type ImportWorkerReply =
  | { id: number; parsed: 'invalid-json' | 'entries' }
  | { id: number; parsed: 'shape'; standIn: unknown }
  | { id: number; piece: Uint8Array; last: boolean; created?: number; failed?: number }
  | { id: number; error: { message: string; code?: unknown } }

function portOf(): MessagePort {
  if (!parentPort) throw new Error('import-worker.js runs in a worker thread')
  return parentPort
}
const port = portOf()

/**
 * The nice value of this thread (Linux: a per-thread attribute; `setPriority(0, …)` sets the calling thread's
 * only). Big batches are bulk work: on a busy machine the event loop (health, reads, small writes) gets the
 * CPU first, and this thread takes what is left, which is most of it when the server is otherwise idle.
 */
export const IMPORT_WORKER_NICE = 10
try {
  setPriority(0, IMPORT_WORKER_NICE)
} catch {
  // Not permitted or not supported (some platforms, containers): the worker runs at the process's priority.
}
const { databaseUrl, dataDir } = workerData as ImportWorkerData

// Its own connection (SQLite in WAL mode: the main thread keeps reading); the main thread migrated.
const database = openDatabase({ url: databaseUrl, dataDir, poolSize: 2 })
// Rows of big batches pass through once: a small page cache (SQLite) keeps the worker's memory down.
if (database.caps.name === 'sqlite') await sql`PRAGMA cache_size = -8192`.execute(database.db)
const ajv = createAjv()
const projects = createProjectService({ projects: createProjectRepository(database), ajv })
// Entry events (issue #16) are written in the batch's transaction here too, as the request's actor.
const actors = createActorContext()
const importer = createImportService({
  entries: createMediaEntryRepository(database, {
    outbox: createEntryEventRepository(database, { actor: actors.current }),
  }),
  validator: createEntryValidator(ajv),
  refuse: refuseSourceKeys,
})
const pending = new Map<number, unknown[]>()

/** A response piece is sent to the main thread once it reaches this many characters. */
const PIECE_CHARS = 1024 * 1024

/**
 * Imports parsed entries and sends the response in pieces of about a MiB (`JSON.stringify` of the whole
 * answer, written result by result), so the answer to a 64 MiB batch is never one string here or one
 * buffer there. The first piece carries the counts; the last one says so.
 */
async function runImport(id: number, project: string, apiVersion: string, actor: Actor): Promise<void> {
  const entries = pending.get(id)
  const version = API_VERSIONS.get(apiVersion)
  if (!entries || !version) throw new Error(`import ${id} is not parsed, or version ${apiVersion} unknown`)
  pending.delete(id)
  const mediaTypes = await projects.mediaTypesOf(project)
  const results: (ImportResult | undefined)[] = await actors.run(actor, () =>
    importer.importEntries(project, mediaTypes, entries),
  )
  entries.length = 0
  let created = 0
  for (const r of results) if (r?.ok) created++
  const counts = { created, failed: results.length - created }
  let parts: string[] = [`{${JSON.stringify(version.listKey)}:[`]
  let chars = 0
  let first = true
  const send = (last: boolean) => {
    // A buffer of its own (never a slice of Node's pool), so it can be transferred without a copy.
    const piece = new TextEncoder().encode(parts.join(''))
    const reply: ImportWorkerReply = { id, piece, last, ...(first ? counts : {}) }
    port.postMessage(reply, [piece.buffer as ArrayBuffer])
    parts = []
    chars = 0
    first = false
  }
  for (let i = 0; i < results.length; i++) {
    const text = JSON.stringify(presentImportResult(results[i]!, version))
    results[i] = undefined
    parts.push(i === 0 ? text : `,${text}`)
    chars += text.length
    if (chars >= PIECE_CHARS) send(false)
  }
  parts.push(']}')
  send(true)
}

port.on('message', (message: ImportWorkerRequest) => {
  if (message.type === 'discard') {
    pending.delete(message.id)
    return
  }
  if (message.type === 'parse') {
    const parsed = parseImportBody(new Uint8Array(message.bytes, 0, message.length), message.maxEntries)
    // The body is not needed past here, but the message event keeps its buffer reachable until the
    // worker's next major GC, which a 64 MiB batch's import does not reach: moving the bytes out into a
    // buffer that nothing references frees them at the next scavenge (bench:import-memory: the peak RSS of
    // one 64 MiB body fell from 404–426 MB to 347–359 MB).
    structuredClone(message.bytes, { transfer: [message.bytes] })
    if (parsed.kind === 'entries') pending.set(message.id, parsed.entries)
    port.postMessage(
      parsed.kind === 'shape'
        ? { id: message.id, parsed: 'shape', standIn: parsed.standIn }
        : { id: message.id, parsed: parsed.kind },
    )
    return
  }
  runImport(message.id, message.project, message.apiVersion, message.actor).catch((err: unknown) => {
    const { message: text, code } =
      err instanceof Error ? (err as Error & { code?: unknown }) : { message: String(err), code: undefined }
    port.postMessage({ id: message.id, error: { message: text, code } })
  })
})
