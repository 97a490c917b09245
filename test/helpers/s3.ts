import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { S3Client } from '@aws-sdk/client-s3'
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

/** The storage config that points at an s3rver on 127.0.0.1:`port`, bucket `bucket`. */
function s3rverStorage(bucket: string, port: number): Config['storage'] {
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

/**
 * `startS3`, with s3rver in a child process run with `--openssl-legacy-provider`: there a listing truncated
 * by `MaxKeys` works (s3rver ciphers its continuation tokens with DES, which OpenSSL 3 keeps in its legacy
 * provider; in the test process such a listing answers 500). For tests that list in several pages.
 */
export async function startS3Process(
  bucket = 'medialib-test',
  moreBuckets: string[] = [],
): Promise<{ storage: Config['storage']; close(): Promise<void> }> {
  const directory = mkdtempSync(path.join(tmpdir(), 'medialib-s3rver-'))
  const script = fileURLToPath(new URL('./s3rver-child.mjs', import.meta.url))
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', script, directory, [bucket, ...moreBuckets].join(',')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line) resolve((JSON.parse(line) as { port: number }).port)
    })
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before listening: ${out}`)))
  })
  return {
    storage: s3rverStorage(bucket, port),
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        await once(child, 'exit')
      }
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

/** An SDK client for the s3rver of `storage` (its credentials, path style, checksums only when required). */
export function s3rverClient(storage: Config['storage']): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: storage.s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}
