// The browser's uploads (docs/ui.md, Upload): files checked against their media type's restrictions
// before a byte is sent, then sent by tus (tus-js-client) to `/api/…/uploads` with the session cookie,
// in chunks, a few at a time. tus-js-client keeps each unfinished upload's URL in localStorage under the
// file's fingerprint (name, type, size, modification time), so the same file dropped again after a page
// reload resumes where it stopped. The queue lives in this module, so uploads run on while the editor
// opens entries, and the panel shows them again when it is mounted anew. Over 300 lines because the queue's
// state and every call that changes it (add, send, retry, cancel, resume) are one unit.
import type * as TusModule from 'tus-js-client'
import type { HttpResponse, PreviousUpload, Upload } from 'tus-js-client'
import { API } from './api.js'
import type { MediaType } from './api-types.js'
import { defaultMediaType, refusalOf, sniff } from './upload-rules.js'

/**
 * tus-js-client (62 kB, 16 kB gzipped) is its own chunk, loaded when files are added or an earlier
 * visit left uploads: the library's first page does not wait for it.
 */
type Tus = typeof TusModule
let tus: Tus
async function loadTus(): Promise<Tus> {
  tus ??= await import('tus-js-client')
  return tus
}

/** Bytes per PATCH: small enough that a slow connection finishes one well within the server's request timeout. */
export const CHUNK_BYTES = 8 * 1024 * 1024
/** Uploads at a time (a browser opens at most 6 connections per host; leave some for the page). */
const AT_ONCE = 3
/** Absolute: tus-js-client resolves the upload URLs the server answers against it. */
const ENDPOINT = new URL(`${API}/uploads`, location.href).href
export type ItemState = 'ready' | 'refused' | 'waiting' | 'uploading' | 'done' | 'error' | 'cancelled'

/** A stored unfinished upload of an earlier visit, with how much the server has of it. */
export type StoredUpload = PreviousUpload & { offset?: number; length?: number }

/** One file of the queue. */
export interface QueueItem {
  key: number
  file: File
  name: string
  size: number
  state: ItemState
  sent: number
  total?: number
  mime: string
  mediaType: string | undefined
  previous?: StoredUpload | undefined
  problem?: string
  error?: string
  upload?: Upload | undefined
  entryId?: string
  duplicate?: boolean
  batch?: { items: QueueItem[]; onFinished?: (items: QueueItem[]) => void } | undefined
}

const items: QueueItem[] = []
const listeners = new Set<() => void>()
let nextKey = 1

/** Subscribe to changes of the queue; returns the unsubscribe function. */
export function subscribe(listener: () => void): () => void {
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
  }
}

function changed() {
  for (const listener of listeners) listener()
}

export function queued(): QueueItem[] {
  return items
}

/** The error of a tus request in the API's words (the final PATCH answers the import's error body). */
function errorOf(err: Error & { originalResponse?: HttpResponse | null }): {
  message: string
  final: boolean
} {
  const res = err.originalResponse
  if (!res) return { message: `The upload stopped: ${err.message}`, final: false }
  let body: { error?: string; error_details?: { message?: string } } | null = null
  try {
    body = JSON.parse(res.getBody())
  } catch {
    // not JSON: the status says enough
  }
  const status = res.getStatus()
  const message = body?.error_details?.message ?? body?.error ?? `HTTP ${status}`
  const name = body?.error ?? ''
  // Refusals of the file itself: sending it again would be refused again.
  const final = status >= 400 && status < 500 && status !== 409 && status !== 423 && status !== 429
  return {
    message: name && name !== message ? `${name}: ${message}` : message,
    final: final || name === 'DuplicateFile',
  }
}

/** Adds files to the queue, each checked and given its default media type; nothing is sent yet. */
export async function addFiles(files: Iterable<File>, mediaTypes: MediaType[]): Promise<QueueItem[]> {
  await loadTus()
  const added: QueueItem[] = []
  for (const file of files) {
    const mime = await sniff(file)
    const item: QueueItem = {
      key: nextKey++,
      file,
      name: file.name,
      size: file.size,
      state: 'ready',
      sent: 0,
      mime,
      mediaType: defaultMediaType(mediaTypes, { size: file.size, mime })?.handle,
    }
    const previous = await findPrevious(file)
    if (previous) {
      // An upload of this very file stopped before (a reload, a closed tab): it goes on as it began.
      item.previous = previous
      item.mediaType = previous.metadata['mediaType'] ?? item.mediaType
      item.sent = previous.offset ?? 0
    }
    added.push(item)
  }
  items.push(...added)
  for (const item of added) check(item, mediaTypes)
  changed()
  return added
}

/** The stored unfinished upload of this file, with its offset on the server; undefined when none is left. */
async function findPrevious(file: File): Promise<StoredUpload | undefined> {
  const probe = new tus.Upload(file, { endpoint: ENDPOINT })
  for (const previous of await probe.findPreviousUploads()) {
    const state = await offsetOf(previous)
    if (state) return { ...previous, offset: state.offset }
  }
  return undefined
}

/** Re-checks an item after its media type changed. */
export function check(item: QueueItem, mediaTypes: MediaType[]): void {
  if (item.state !== 'ready' && item.state !== 'refused') return
  const mediaType = mediaTypes.find((t) => t.handle === item.mediaType)
  item.problem = mediaType ? refusalOf(mediaType, item) : 'Choose a media type'
  item.state = item.problem ? 'refused' : 'ready'
}

export function setMediaType(item: QueueItem, handle: string, mediaTypes: MediaType[]): void {
  item.mediaType = handle
  check(item, mediaTypes)
  changed()
}

export function remove(item: QueueItem): void {
  const i = items.indexOf(item)
  if (i >= 0 && !['uploading', 'waiting'].includes(item.state)) items.splice(i, 1)
  changed()
}

export function clearFinished(): void {
  for (let i = items.length - 1; i >= 0; i--) if (items[i]?.state === 'done') items.splice(i, 1)
  changed()
}

/** Queues the ready items; `onFinished(items)` runs once all of them have finished (well or not). */
export function uploadReady(onFinished?: (items: QueueItem[]) => void): void {
  const batch = items.filter((i) => i.state === 'ready')
  for (const item of batch) {
    item.state = 'waiting'
    item.error = ''
    item.batch = { items: batch, onFinished }
  }
  pump()
  changed()
}

/** Sends an item again: a stopped one resumes where the server has it, a refused one starts anew. */
export function retry(item: QueueItem): void {
  if (item.state !== 'error' && item.state !== 'cancelled') return
  item.state = 'waiting'
  item.error = ''
  pump()
  changed()
}

/** Stops an item's upload and removes what the server has of it. */
export async function cancel(item: QueueItem): Promise<void> {
  if (item.state === 'waiting') {
    item.state = 'cancelled'
  } else if (item.state === 'uploading') {
    item.state = 'cancelled'
    await item.upload?.abort(true).catch(() => undefined)
    item.upload = undefined
    item.previous = undefined
    item.sent = 0
  }
  changed()
  pump()
  finishBatch(item)
}

function pump(): void {
  let running = items.filter((i) => i.state === 'uploading').length
  for (const item of items) {
    if (running >= AT_ONCE) break
    if (item.state !== 'waiting') continue
    running++
    start(item)
  }
}

function finishBatch(item: QueueItem): void {
  const batch = item.batch
  if (!batch || batch.items.some((i) => i.state === 'waiting' || i.state === 'uploading')) return
  item.batch = undefined
  for (const i of batch.items) i.batch = undefined
  batch.onFinished?.(batch.items)
}

function start(item: QueueItem): void {
  item.state = 'uploading'
  const upload =
    item.upload ??
    new tus.Upload(item.file, {
      endpoint: ENDPOINT,
      chunkSize: CHUNK_BYTES,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      // The session cookie authenticates; this header is the UI's CSRF guard (docs/ui.md).
      headers: { 'x-medialib-ui': '1' },
      metadata: { filename: item.name, filetype: item.mime, mediaType: item.mediaType ?? '' },
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress(sent, total) {
        item.sent = sent
        item.total = total
        changed()
      },
      onAfterResponse(_req, res) {
        const id = res.getHeader('Medialib-Entry-Id')
        if (id) {
          item.entryId = id
          // The project already held these bytes (duplicate policy skip): the id is that entry's.
          item.duplicate = res.getHeader('Medialib-Duplicate') === 'true'
        }
      },
      onShouldRetry: (err) => !errorOf(err).final,
      onSuccess() {
        item.state = 'done'
        item.sent = item.size
        item.previous = undefined
        changed()
        pump()
        finishBatch(item)
      },
      onError(err) {
        const { message, final } = errorOf(err)
        item.state = 'error'
        item.error = message
        // A refusal ends the upload on the server: a retry starts anew.
        if (final) item.upload = undefined
        changed()
        pump()
        finishBatch(item)
      },
    })
  item.upload = upload
  if (item.previous) upload.resumeFromPreviousUpload(item.previous)
  item.previous = undefined
  upload.start()
  changed()
}

/** `{offset, length}` of a stored upload on the server; undefined when it is gone (expired, finished, removed). */
async function offsetOf(previous: PreviousUpload): Promise<{ offset: number; length: number } | undefined> {
  if (!previous.uploadUrl) return undefined
  try {
    const res = await fetch(previous.uploadUrl, {
      method: 'HEAD',
      headers: { 'tus-resumable': '1.0.0' },
      credentials: 'same-origin',
    })
    if (!res.ok) return undefined
    return {
      offset: Number(res.headers.get('upload-offset')),
      length: Number(res.headers.get('upload-length')),
    }
  } catch {
    return undefined
  }
}

/**
 * Unfinished uploads of earlier visits (from localStorage) that this page is not sending, with how far
 * the server has them; ones the server no longer has are forgotten.
 */
export async function unfinished(): Promise<StoredUpload[]> {
  if (!canResume() || !Object.keys(localStorage).some((k) => k.startsWith('tus::'))) return []
  await loadTus()
  const out: StoredUpload[] = []
  for (const previous of await tus.defaultOptions.urlStorage.findAllUploads()) {
    if (items.some((i) => [i.upload?.url, i.previous?.uploadUrl].includes(previous.uploadUrl))) continue
    const state = await offsetOf(previous)
    if (!state) {
      await tus.defaultOptions.urlStorage.removeUpload(previous.urlStorageKey)
      continue
    }
    out.push({ ...previous, ...state })
  }
  return out
}

/** Gives up an unfinished upload of an earlier visit: removed on the server and from localStorage. */
export async function forget(previous: PreviousUpload): Promise<void> {
  await loadTus()
  if (previous.uploadUrl)
    await tus.Upload.terminate(previous.uploadUrl, { headers: { 'x-medialib-ui': '1' } }).catch(
      () => undefined,
    )
  await tus.defaultOptions.urlStorage.removeUpload(previous.urlStorageKey)
}

let resumable: boolean | undefined
/** Whether localStorage works here (a private window may refuse it): without it, a reload restarts uploads. */
export function canResume(): boolean {
  if (resumable === undefined) {
    try {
      const probe = '__medialib_probe'
      localStorage.setItem(probe, '1')
      localStorage.removeItem(probe)
      resumable = true
    } catch {
      resumable = false
    }
  }
  return resumable
}
