import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dbArgs, runCli, type BenchDatabase } from './import-server.js'

/** What serve needs to POST to a receiver on 127.0.0.1 (the SSRF guard refuses private addresses otherwise). */
export const WEBHOOK_ENV = { MEDIALIB_FETCH_ALLOW_CIDRS: '127.0.0.1/32' }

/** A receiver that answers every POST with 204 and counts them. */
export async function startCountingReceiver() {
  let posts = 0
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      posts++
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    posts: () => posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/**
 * Subscribes one webhook of the project `default` to `mediaLibraryEntry.create`, then waits out the
 * server's subscription cache (2 s), so the whole measured import writes the outbox.
 */
export async function subscribeCreate(db: BenchDatabase, url: string): Promise<void> {
  await runCli([
    'webhooks',
    'create',
    '--project',
    'default',
    '--handle',
    'bench',
    '--url',
    url,
    '--events',
    'create',
    ...dbArgs(db),
  ])
  await new Promise((r) => setTimeout(r, 2_500))
}
