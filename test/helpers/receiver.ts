import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedPost {
  headers: IncomingMessage['headers']
  body: string
  at: number
}

/** A webhook receiver on 127.0.0.1 (ephemeral port) that records every POST and answers as `answer` says. */
export async function startReceiver(answer: (post: ReceivedPost, res: ServerResponse) => void) {
  const posts: ReceivedPost[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const post = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() }
      posts.push(post)
      answer(post, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  return {
    url,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Polls `check` every 20 ms until it holds, or fails after `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
