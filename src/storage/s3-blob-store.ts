import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import type { Readable } from 'node:stream'
import type { BlobStat, BlobStore } from './blob-store.js'
import { checkKey, MAX_STORE_KEY_BYTES } from './key.js'

/** Settings of the S3 store (see docs/storage.md). */
export interface S3StoreOptions {
  bucket: string
  /** Prepended to every key, e.g. `medialib/`; may be empty. */
  prefix: string
  /** For S3-compatible servers (MinIO, s3rver, …); empty for AWS. */
  endpoint?: string
  region: string
  forcePathStyle: boolean
  accessKeyId?: string
  secretAccessKey?: string
  /** Blobs larger than this are sent as a multipart upload in parts of this size (at least 5 MiB). */
  partSizeBytes: number
  /** `WHEN_REQUIRED` for S3-compatible servers that reject the SDK's default CRC checksums. */
  requestChecksumCalculation: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'
  responseChecksumValidation: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'
  /** Milliseconds to establish a connection (default 10 s). */
  connectTimeoutMs?: number
  /** A request whose socket is idle this long (no byte sent or received) fails as a timeout (default 30 s). */
  socketTimeoutMs?: number
  /** Attempts per request, including the first; 5xx, throttling and timeouts are retried (default 3). */
  maxAttempts?: number
}

/** Without these the SDK waits forever on a server that accepted a request and never answers. */
const S3_DEFAULT_TIMEOUTS = { connectTimeoutMs: 10_000, socketTimeoutMs: 30_000, maxAttempts: 3 }

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404
}

/** Reads the stream in pieces of `size` bytes (the last one shorter); holds at most one piece. */
async function* piecesOf(body: Readable, size: number): AsyncGenerator<Buffer> {
  let held: Buffer[] = []
  let heldBytes = 0
  for await (const chunk of body) {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array)
    while (heldBytes + buf.length >= size) {
      const take = size - heldBytes
      held.push(buf.subarray(0, take))
      yield Buffer.concat(held)
      buf = buf.subarray(take)
      held = []
      heldBytes = 0
    }
    if (buf.length > 0) {
      held.push(buf)
      heldBytes += buf.length
    }
  }
  if (heldBytes > 0 || held.length === 0) yield Buffer.concat(held)
}

/** A BlobStore in an S3 bucket; large blobs go up as multipart uploads, one part in memory at a time. */
export function createS3BlobStore(
  options: S3StoreOptions,
): BlobStore & { client: S3Client; read: NonNullable<BlobStore['read']> } {
  const client = new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    requestChecksumCalculation: options.requestChecksumCalculation,
    responseChecksumValidation: options.responseChecksumValidation,
    maxAttempts: options.maxAttempts ?? S3_DEFAULT_TIMEOUTS.maxAttempts,
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs ?? S3_DEFAULT_TIMEOUTS.connectTimeoutMs,
      socketTimeout: options.socketTimeoutMs ?? S3_DEFAULT_TIMEOUTS.socketTimeoutMs,
    },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.accessKeyId && options.secretAccessKey
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
  })
  const Bucket = options.bucket
  const full = (key: string) => `${options.prefix}${checkKey(key, MAX_STORE_KEY_BYTES)}`

  const stat = async (key: string): Promise<BlobStat | undefined> => {
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket, Key: full(key) }))
      return {
        key,
        size: head.ContentLength ?? 0,
        etag: head.ETag ?? `"${String(head.LastModified?.getTime())}"`,
        lastModified: head.LastModified ?? new Date(0),
      }
    } catch (err) {
      if (isNotFound(err)) return undefined
      throw err
    }
  }

  const putMultipart = async (
    Key: string,
    first: Buffer,
    rest: AsyncGenerator<Buffer>,
    ContentType?: string,
  ) => {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType }))
    const parts: { ETag: string; PartNumber: number }[] = []
    try {
      let PartNumber = 1
      let piece: Buffer | undefined = first
      while (piece !== undefined) {
        const { ETag } = await client.send(
          new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: piece }),
        )
        parts.push({ ETag: ETag as string, PartNumber })
        PartNumber++
        const next = await rest.next()
        piece = next.done ? undefined : next.value
      }
      await client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
      )
    } catch (err) {
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined)
      throw err
    }
  }

  return {
    client,
    async put(key, body, putOptions) {
      const Key = full(key)
      const pieces = piecesOf(body, options.partSizeBytes)
      const first = (await pieces.next()).value as Buffer
      const second = await pieces.next()
      if (second.done) {
        await client.send(
          new PutObjectCommand({ Bucket, Key, Body: first, ContentType: putOptions?.contentType }),
        )
      } else {
        const rest = (async function* () {
          yield second.value
          yield* pieces
        })()
        await putMultipart(Key, first, rest, putOptions?.contentType)
      }
      return (await stat(key)) as BlobStat
    },
    async get(key, range) {
      try {
        const res = await client.send(
          new GetObjectCommand({
            Bucket,
            Key: full(key),
            ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          }),
        )
        return res.Body as Readable
      } catch (err) {
        if (isNotFound(err)) return undefined
        throw err
      }
    },
    async read(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket, Key: full(key) }))
        const bytes = await res.Body!.transformToByteArray()
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      } catch (err) {
        if (isNotFound(err)) return undefined
        throw err
      }
    },
    stat,
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: full(key) }))
    },
    async list(prefix) {
      const keys: string[] = []
      let ContinuationToken: string | undefined
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket, Prefix: `${options.prefix}${prefix}`, ContinuationToken }),
        )
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key.slice(options.prefix.length))
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (ContinuationToken)
      return keys.sort()
    },
  }
}
