import { S3Client } from '@aws-sdk/client-s3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import S3rver from 's3rver'
import { DEFAULT_CONFIG, type Config } from '../../src/config.js'

/**
 * s3rver 3.7.1 on 127.0.0.1 (random port) with the bucket (and any more buckets), and the storage config that
 * points at the first.
 */
export async function startS3(
  bucket = 'medialib-test',
  moreBuckets: string[] = [],
): Promise<{
  storage: Config['storage']
  close(): Promise<void>
}> {
  const directory = mkdtempSync(path.join(tmpdir(), 'medialib-s3rver-'))
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [bucket, ...moreBuckets].map((name) => ({ name, configs: [] })),
  })
  const { port } = await server.run()
  return {
    storage: s3rverStorage(bucket, port),
    async close() {
      await server.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

/** The storage config of s3rver on 127.0.0.1 at `port`, with the SDK's checksums WHEN_REQUIRED. */
export function s3rverStorage(bucket: string, port: number): Config['storage'] {
  return {
    driver: 's3',
    s3: {
      ...DEFAULT_CONFIG.storage.s3,
      bucket,
      prefix: 'lib/',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
  }
}

/** An SDK client of s3rver at `endpoint` (the tests' own puts and deletes). */
export function s3rverClient(endpoint: string): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

/** The storage back ends e2e tests that touch stored bytes run on. */
export const STORAGES = ['disk', 's3'] as const
export type StorageName = (typeof STORAGES)[number]

export interface TestStorage {
  /** Config overrides that put the server's blobs there (nothing for disk: the data directory). */
  config: Partial<Config>
  close(): Promise<void>
}

/** Disk (the test database's data directory), or s3rver on 127.0.0.1 with the SDK's checksums WHEN_REQUIRED. */
export async function startStorage(name: StorageName): Promise<TestStorage> {
  if (name === 'disk') return { config: {}, close: async () => undefined }
  const s3 = await startS3('medialib-e2e')
  return { config: { storage: s3.storage }, close: s3.close }
}
