import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { Config } from '../../src/config.js'
import { s3rverStorage } from './s3.js'

/**
 * s3rver 3.7.1 in a child process started with `--openssl-legacy-provider`: s3rver makes the continuation
 * token of a truncated listing (more than MaxKeys objects) with DES, which OpenSSL 3 has only in its legacy
 * provider, so an in-process s3rver (test/helpers/s3.ts) fails every listing past the first page.
 */
export async function startS3Process(bucket: string): Promise<{
  storage: Config['storage']
  close(): Promise<void>
}> {
  const directory = mkdtempSync(path.join(tmpdir(), 'medialib-s3rver-proc-'))
  const script = `
    const S3rver = require('s3rver')
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: ${JSON.stringify(directory)},
      configureBuckets: [{ name: ${JSON.stringify(bucket)}, configs: [] }] })
    server.run().then(({ port }) => console.log(JSON.stringify({ port })))
    process.on('SIGTERM', () => server.close().then(() => process.exit(0)))`
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', script], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code})`)))
    createInterface({ input: child.stdout }).once('line', (line) => {
      resolve((JSON.parse(line) as { port: number }).port)
    })
  })
  return {
    storage: s3rverStorage(bucket, port),
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
