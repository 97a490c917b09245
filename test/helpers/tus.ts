import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { once } from 'node:events'
import * as tus from 'tus-js-client'

/** Writes `bytes` of random data to `file` 1 MiB at a time (never whole in memory); its SHA-256. */
export async function writeRandomFile(file: string, bytes: number): Promise<string> {
  const hash = createHash('sha256')
  const out = createWriteStream(file)
  for (let written = 0; written < bytes;) {
    const chunk = randomBytes(Math.min(1024 * 1024, bytes - written))
    hash.update(chunk)
    if (!out.write(chunk)) await once(out, 'drain')
    written += chunk.length
  }
  out.end()
  await once(out, 'finish')
  return hash.digest('hex')
}

/** The SHA-256 of a response body, streamed. */
export async function sha256Of(body: ReadableStream<Uint8Array> | null): Promise<string> {
  const hash = createHash('sha256')
  if (body) for await (const chunk of body) hash.update(chunk)
  return hash.digest('hex')
}

export interface TusOutcome {
  /** The upload's URL. */
  url: string | null
  /** `Medialib-Entry-Id` of the final PATCH. */
  entryId?: string
  /** Set when the upload failed (status and body of the last response). */
  error?: { status?: number; body?: string; message: string }
  aborted?: boolean
}

/**
 * Uploads a file with tus-js-client (Node): from the start, or resuming `uploadUrl`. `stopAfter` aborts
 * once that many bytes are acknowledged; `onBytes` sees the progress (e.g. to kill the server).
 */
export function tusUpload(
  endpoint: string,
  token: string,
  file: string,
  options: {
    metadata?: Record<string, string>
    uploadUrl?: string
    stopAfter?: number
    onBytes?: (bytes: number) => void
    chunkSize?: number
  } = {},
): Promise<TusOutcome> {
  return new Promise((resolve) => {
    let entryId: string | undefined
    const upload: tus.Upload = new tus.Upload(createReadStream(file), {
      endpoint,
      ...(options.uploadUrl ? { uploadUrl: options.uploadUrl } : {}),
      headers: { authorization: `Bearer ${token}` },
      metadata: options.metadata ?? { filename: 'big.bin', mediaType: 'file' },
      chunkSize: options.chunkSize ?? 8 * 1024 * 1024,
      retryDelays: [],
      storeFingerprintForResuming: false,
      onAfterResponse(_req, res) {
        entryId ??= res.getHeader('medialib-entry-id') ?? undefined
      },
      onProgress(sent) {
        options.onBytes?.(sent)
      },
      onChunkComplete(_size, acknowledged) {
        if (options.stopAfter !== undefined && acknowledged >= options.stopAfter) {
          void upload.abort().then(() => resolve({ url: upload.url, aborted: true }))
        }
      },
      onSuccess() {
        resolve({ url: upload.url, ...(entryId ? { entryId } : {}) })
      },
      onError(err) {
        const res = (err as tus.DetailedError).originalResponse
        resolve({
          url: upload.url,
          error: {
            message: err.message,
            ...(res ? { status: res.getStatus(), body: res.getBody() } : {}),
          },
        })
      },
    })
    upload.start()
  })
}
