import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import S3rver from 's3rver'
import { DEFAULT_CONFIG, type Config } from '../../src/config.js'

/** s3rver 3.7.1 on 127.0.0.1 (random port) with one bucket, and the storage config that points at it. */
export async function startS3(bucket = 'medialib-test'): Promise<{
  storage: Config['storage']
  close(): Promise<void>
}> {
  const directory = mkdtempSync(path.join(tmpdir(), 'medialib-s3rver-'))
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  })
  const { port } = await server.run()
  return {
    storage: {
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
    },
    async close() {
      await server.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
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
