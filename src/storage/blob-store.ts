import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'

export { checkKey, InvalidKeyError } from './key.js'

/** What a store knows about one stored blob. */
export interface BlobStat {
  key: string
  size: number
  /** A strong validator for HTTP caching, quoted (`"…"`). */
  etag: string
  lastModified: Date
}

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number
  end: number
}

/**
 * Where asset bytes live. Keys are relative (`2026/11/28/<uuid>.jpeg`) and can never escape the store:
 * every key follows the one grammar of `./key.ts` (no leading slash, no `.`/`..` or empty segment, no
 * backslash or control character, bounded length). Everything is streamed; nothing buffers a whole blob, except
 * `putBytes`, `read` and their callers, who hold bounded small files anyway.
 */
export interface BlobStore {
  /** Stores the stream under the key, replacing what was there. Atomic: readers see all or nothing. */
  put(key: string, body: Readable, options?: { contentType?: string }): Promise<BlobStat>
  /**
   * Stores a local file under the key, consuming it (a disk store moves it in, durably, without a copy).
   * Optional: without it, callers `put` a stream of the file.
   */
  putFile?(key: string, file: string, options?: { contentType?: string }): Promise<BlobStat>
  /**
   * Stores bytes already in memory (a small file), durably, in fewer steps than a stream. Optional: without
   * it, callers `put` a stream of the bytes.
   */
  putBytes?(key: string, bytes: Buffer, options?: { contentType?: string }): Promise<BlobStat>
  /** The blob's bytes (or the range of them); undefined when the key does not exist. */
  get(key: string, range?: ByteRange): Promise<Readable | undefined>
  /**
   * The whole blob in one Buffer, read at once (no stream): for callers that need all of it anyway (an
   * original to render, a cached variant). Optional: without it, callers collect `get`'s stream.
   */
  read?(key: string): Promise<Buffer | undefined>
  /**
   * The local file that holds the blob, for readers that open files themselves (libvips decodes an original
   * straight from it: no copy through the JS heap). Only stores whose blobs are local files have it;
   * undefined when the key does not exist.
   */
  localFile?(key: string): Promise<string | undefined>
  stat(key: string): Promise<BlobStat | undefined>
  /** Removes the blob; removing a missing key is not an error. */
  delete(key: string): Promise<void>
  /** Every key that starts with the prefix, sorted. */
  list(prefix: string): Promise<string[]>
}

/** A new key in the reference's pattern `YYYY/MM/DD/<uuid>.<ext>` (UTC date). */
export function newBlobKey(extension: string, now: Date = new Date()): string {
  const yyyy = String(now.getUTCFullYear())
  const mm = String(now.getUTCMonth() + 1).padStart(2, '0')
  const dd = String(now.getUTCDate()).padStart(2, '0')
  const ext = extension.replace(/[^a-z0-9]/gi, '').toLowerCase() || 'bin'
  return `${yyyy}/${mm}/${dd}/${randomUUID()}.${ext}`
}

/** A stream's bytes in one Buffer: the chunks concatenated once (stream/consumers' `buffer` goes through a Blob, a copy more). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}

/** A blob's bytes in one Buffer: one read where the store has `read`, else its stream collected. */
export async function readBlob(
  store: Pick<BlobStore, 'get' | 'read'>,
  key: string,
): Promise<Buffer | undefined> {
  if (store.read) return store.read(key)
  const stream = await store.get(key)
  return stream && readAll(stream)
}
