// The upload side of the API client, for `medialib import --files`: the bulk hash question, a multipart
// upload of several files (streamed from disk, retried as a whole), and a tus upload for large files.
import { randomBytes } from 'node:crypto'
import { createReadStream, statSync } from 'node:fs'
import path from 'node:path'
import * as tus from 'tus-js-client'
import type { UploadRequest } from '../media/upload/upload.service.js'
import { ApiError, DEFAULT_RETRY, requestJsonWithRetry, type RetryOptions } from './http-retry.js'
import { multipartBody } from './multipart-body.js'

/** What an uploaded file's entry is made of (the multipart fields, the tus metadata). */
export type UploadFields = Pick<
  UploadRequest,
  'filename' | 'mediaType' | 'id' | 'systemName' | 'externalId' | 'metadata'
>

/** One file's result: its entry (or the entry already holding its bytes), or the server's refusal. */
export type UploadOutcome =
  /** `bytesSent`: what this call sent (less than the size when a tus upload resumed an earlier run's). */
  | { ok: true; id: string; duplicate: boolean; bytesSent: number }
  | { ok: false; status: number; error: string; error_details?: Record<string, unknown> }

/** A local file to upload and the entry it makes. */
export interface OutgoingFile {
  file: string
  size: number
  fields: UploadFields
  /** The file's bytes when already read (they are sent instead of reading the file). */
  bytes?: Buffer
}

export interface UploadClient {
  /** sha256 → entry id for the hashes the project holds; asks in chunks of `hashesPerRequest`. */
  knownHashes(sha256s: readonly string[]): Promise<Map<string, string>>
  /**
   * `POST /mediaLibrary/upload` with one file part per file (one request: pack them with
   * `packMultipart`); one outcome per file, in order.
   */
  uploadMultipart(files: readonly OutgoingFile[]): Promise<UploadOutcome[]>
  /**
   * A tus upload (`/uploads`), resumed within the run after network errors and, with `resumeStore`, across
   * runs: a killed run's upload continues at the server's offset.
   */
  uploadResumable(file: string, size: number, fields: UploadFields): Promise<UploadOutcome>
}

/** The URL storage tus-js-client's Node build has (its type declarations name only the interface). */
type UrlStorage = NonNullable<tus.UploadOptions['urlStorage']>
const { FileUrlStorage } = tus as unknown as { FileUrlStorage: new (file: string) => UrlStorage }

/** Hashes per knownHashes request: the server's default `upload.hashesPerRequest`. */
export const HASHES_PER_REQUEST = 1000
/** tus PATCH size: large enough that a 1 GB file takes few requests, small enough to retry cheaply. */
const TUS_CHUNK_BYTES = 64 * 1024 * 1024

const fieldValue = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v))
function fieldEntries(fields: UploadFields): [string, string][] {
  const out: [string, string][] = []
  for (const name of ['mediaType', 'systemName', 'metadata', 'id', 'externalId'] as const) {
    const value = fields[name]
    if (value !== undefined) out.push([name, fieldValue(value)])
  }
  return out
}

function failureOf(status: number, body: unknown): UploadOutcome {
  const b = (body ?? {}) as { error?: unknown; error_details?: unknown }
  return {
    ok: false,
    status,
    error: typeof b.error === 'string' ? b.error : `HTTP ${status}`,
    ...(b.error_details && typeof b.error_details === 'object'
      ? { error_details: b.error_details as Record<string, unknown> }
      : {}),
  }
}

/**
 * Which earlier tus upload a file continues: the file (absolute path, size, mtime), the endpoint and the entry
 * it makes, so that two entries naming one file never share an upload, and a changed file starts anew.
 */
export function resumeFingerprint(file: string, endpoint: string, fields: UploadFields): string {
  const { size, mtimeMs } = statSync(file)
  const entry = fields.id ?? `${fields.systemName ?? ''}/${fields.externalId ?? ''}/${fields.filename}`
  return ['medialib-file', path.resolve(file), size, Math.trunc(mtimeMs), endpoint, entry].join('\n')
}

/** Removes the stored URLs of a finished upload, so that no later run tries to resume it. */
async function forget(storage: UrlStorage, fingerprint: string): Promise<void> {
  for (const kept of await storage.findUploadsByFingerprint(fingerprint))
    await storage.removeUpload(kept.urlStorageKey)
}

export function createUploadClient(options: {
  server: string
  token: string
  apiVersion?: string
  retry?: RetryOptions
  /**
   * A JSON file (tus-js-client's FileUrlStorage) that keeps the URL of each unfinished tus upload, so that a
   * later run resumes it; `import --files --report R` uses `R.uploads`. Without it, tus resumes within a run.
   */
  resumeStore?: string
}): UploadClient {
  const base = `${options.server.replace(/\/+$/, '')}/api/${options.apiVersion ?? 'v1'}`
  const retry = options.retry ?? DEFAULT_RETRY
  const authorization = `Bearer ${options.token}`

  const uploadMultipart = async (files: readonly OutgoingFile[]): Promise<UploadOutcome[]> => {
    const boundary = `medialib-${randomBytes(12).toString('hex')}`
    const res = await requestJsonWithRetry(
      `${base}/mediaLibrary/upload`,
      {
        method: 'POST',
        headers: { authorization, 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: multipartBody(files, boundary),
      },
      retry,
    )
    // A refused token ends the run (the command says how to fix it); other refusals are the files'.
    if (res.status === 401 || res.status === 403) throw new ApiError(res.status, res.body)
    if (res.status !== 200) {
      // A refusal of the whole request (a server with lower limits, a field too large): each file alone,
      // so that every file gets its own outcome, as one file per request would.
      if (files.length === 1) return [failureOf(res.status, res.body)]
      const outcomes: UploadOutcome[] = []
      for (const file of files) outcomes.push(...(await uploadMultipart([file])))
      return outcomes
    }
    const body = res.body as { mediaLibraryEntries?: unknown[]; results?: unknown[] }
    const items = (body.results ?? body.mediaLibraryEntries) as
      { ok: boolean; id?: string; duplicate?: boolean; status: number }[] | undefined
    if (items?.length !== files.length) {
      const message = `${items?.length ?? 'no'} results for ${files.length} files`
      throw new ApiError(200, { error: 'UnexpectedAnswer', error_details: { message } })
    }
    return items.map((item, i) =>
      item.ok
        ? { ok: true, id: item.id as string, duplicate: item.duplicate === true, bytesSent: files[i]!.size }
        : failureOf(item.status, item),
    )
  }

  return {
    async knownHashes(sha256s) {
      const known = new Map<string, string>()
      for (let i = 0; i < sha256s.length; i += HASHES_PER_REQUEST) {
        const body = JSON.stringify({ sha256: sha256s.slice(i, i + HASHES_PER_REQUEST) })
        const res = await requestJsonWithRetry(
          `${base}/mediaLibrary/knownHashes`,
          { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body },
          retry,
        )
        if (res.status !== 200) throw new ApiError(res.status, res.body)
        for (const [sha, id] of Object.entries((res.body as { known: Record<string, string> }).known))
          known.set(sha, id)
      }
      return known
    },

    uploadMultipart,

    async uploadResumable(file, size, fields) {
      const metadata: Record<string, string> = {}
      for (const [name, value] of [['filename', fields.filename], ...fieldEntries(fields)] as const)
        metadata[name] = value
      const endpoint = `${base}/uploads`
      const urlStorage = options.resumeStore ? new FileUrlStorage(options.resumeStore) : undefined
      let entryId: string | undefined
      let duplicate = false
      /** The server's offset when this call began: 0 for a new upload, more when it resumed one. */
      let resumedAt = 0
      const outcome = new Promise<UploadOutcome>((resolve, reject) => {
        const upload: tus.Upload = new tus.Upload(createReadStream(file), {
          endpoint,
          headers: { authorization },
          metadata,
          uploadSize: size,
          chunkSize: TUS_CHUNK_BYTES,
          retryDelays: [250, 1000, 3000, 5000, 10_000],
          ...(urlStorage
            ? {
                urlStorage,
                fingerprint: () => Promise.resolve(resumeFingerprint(file, endpoint, fields)),
                storeFingerprintForResuming: true,
                // Removed below, awaited: tus-js-client's own removal may not finish before the CLI exits.
                removeFingerprintOnSuccess: false,
              }
            : { storeFingerprintForResuming: false }),
          onAfterResponse: (req, res) => {
            if (req.getMethod() === 'HEAD' && res.getStatus() === 200)
              resumedAt = Number(res.getHeader('Upload-Offset') ?? 0) || 0
            entryId = res.getHeader('Medialib-Entry-Id') ?? entryId
            if (res.getHeader('Medialib-Duplicate') === 'true') duplicate = true
          },
          onSuccess: () => {
            if (!entryId) {
              reject(new Error(`tus upload of ${file} finished without Medialib-Entry-Id`))
              return
            }
            const done: UploadOutcome = { ok: true, id: entryId, duplicate, bytesSent: size - resumedAt }
            if (!urlStorage) resolve(done)
            else
              forget(urlStorage, resumeFingerprint(file, endpoint, fields)).then(() => resolve(done), reject)
          },
          onError: (err) => {
            const res = (err as tus.DetailedError).originalResponse
            const status = res?.getStatus()
            // A refusal is the file's own result; anything else (no server, 5xx after the retries) ends the run.
            const refusal = status !== undefined && status >= 400 && status < 500 && status !== 429
            if (refusal && status !== 401 && status !== 403) {
              let body: unknown
              try {
                body = JSON.parse(res!.getBody())
              } catch {
                body = { error: `HTTP ${status}`, error_details: { message: res!.getBody() } }
              }
              resolve(failureOf(status, body))
            } else reject(err)
          },
        })
        // An earlier run's unfinished upload of this file for this entry: continue at the server's offset (an
        // upload the server no longer has, expired or removed, makes tus-js-client start a new one).
        const begin = urlStorage
          ? upload.findPreviousUploads().then((previous) => {
              if (previous[0]) upload.resumeFromPreviousUpload(previous[0])
            })
          : Promise.resolve()
        begin.then(
          () => upload.start(),
          (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
        )
      })
      return outcome
    },
  }
}
