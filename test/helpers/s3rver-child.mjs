// s3rver in a process of its own, started by test/helpers/s3.ts `startS3Process`: run with
// `--openssl-legacy-provider`, because s3rver 3.7.1 ciphers its list continuation tokens with DES, which
// OpenSSL 3 only has in its legacy provider (in the test process a truncated listing answers 500).
// argv: directory, buckets (comma-separated). Prints {"port":N} once listening; stops on SIGTERM.
import process from 'node:process'
import S3rver from 's3rver'

const [directory, buckets] = process.argv.slice(2)
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: buckets.split(',').map((name) => ({ name, configs: [] })),
})
const { port } = await server.run()
process.stdout.write(`${JSON.stringify({ port })}\n`)
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0))
})
