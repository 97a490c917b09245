import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { createS3BlobStore, type S3StoreOptions } from '../storage/s3-blob-store.js'
import { checkSourcePath, type SourceReader } from './source-reader.js'

/** A bucket and prefix, listed with ListObjectsV2 in pages of 1,000 and read with the S3 store's reads. */
export function createS3SourceReader(
  options: Omit<S3StoreOptions, 'partSizeBytes'> & { partSizeBytes?: number },
): SourceReader {
  const client = new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    requestChecksumCalculation: options.requestChecksumCalculation,
    responseChecksumValidation: options.responseChecksumValidation,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.accessKeyId
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey ?? '' } }
      : {}),
  })
  const store = createS3BlobStore({ partSizeBytes: 8 * 1024 * 1024, ...options })
  const page = (token: string | undefined, after?: string, maxKeys?: number) =>
    client.send(
      new ListObjectsV2Command({
        Bucket: options.bucket,
        Prefix: options.prefix,
        ...(token ? { ContinuationToken: token } : {}),
        ...(!token && after !== undefined ? { StartAfter: options.prefix + after } : {}),
        ...(maxKeys !== undefined ? { MaxKeys: maxKeys } : {}),
      }),
    )
  return {
    async check() {
      await page(undefined).catch((err: unknown) => {
        throw new Error(
          `The bucket ${options.bucket} cannot be listed: ${err instanceof Error ? err.message : String(err)}`,
        )
      })
    },
    async *list({ after, pageSize } = {}) {
      // A page per call when the caller takes one page (a scan's list task resumes with StartAfter).
      const maxKeys = pageSize === undefined ? undefined : Math.min(1000, pageSize)
      let token: string | undefined
      do {
        const answer = await page(token, after, maxKeys)
        for (const object of answer.Contents ?? []) {
          const key = object.Key ?? ''
          if (!key.startsWith(options.prefix) || key.endsWith('/')) continue
          yield { path: key.slice(options.prefix.length), size: object.Size ?? 0, version: object.ETag ?? '' }
        }
        token = answer.IsTruncated ? answer.NextContinuationToken : undefined
      } while (token)
    },
    stat: (relative) => store.stat(checkSourcePath(relative)),
    get: (relative, range) => store.get(checkSourcePath(relative), range),
  }
}
