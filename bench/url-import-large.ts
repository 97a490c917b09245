/**
 * Memory of the URL import with large files (issue #20): a real `medialib serve` process (its in-process worker at
 * concurrency 16) imports 16 files of 100 MB at once from a local HTTP server that streams them, and its peak
 * RSS (VmHWM) is read. Bytes stream to a temporary file while hashed and are moved into the disk store, so the
 * server should never hold a file whole: the goal is a peak under 300 MB.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { freshDatabase, startServe, type Dialect } from './import-server.js'

const MB = 1_000_000

export async function measureLargeUrlImport(
  dialect: Dialect,
  postgresUrl: string | undefined,
  files: number,
  megabytes: number,
): Promise<string> {
  const size = megabytes * MB
  const chunk = randomBytes(MB)
  // Each file streamed from one random megabyte, with backpressure (the bench holds 1 MB, not the files).
  const origin = createServer((req, res) => {
    if (!/^\/big\/\d+\.bin$/.test(req.url ?? '')) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size })
    let sent = 0
    const pump = () => {
      while (sent < size) {
        const part = chunk.subarray(0, Math.min(MB, size - sent))
        sent += part.length
        if (!res.write(part)) return void res.once('drain', pump)
      }
      res.end()
    }
    pump()
  })
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`
  const db = await freshDatabase(dialect, postgresUrl)
  const serve = await startServe(db, [], {
    MEDIALIB_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    MEDIALIB_WORKER_CONCURRENCY: String(files),
  })
  try {
    const auth = { authorization: `Bearer ${serve.token}` }
    const rssBefore = serve.rss()
    const started = performance.now()
    const queued = await fetch(`${serve.baseUrl}/api/v1/import/files`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        systemName: 'bench',
        files: Array.from({ length: files }, (_, i) => ({ id: `big-${i}`, url: `${base}/big/${i}.bin` })),
      }),
    })
    if (queued.status !== 200) throw new Error(`queue: ${queued.status} ${await queued.text()}`)
    const { id } = (await queued.json()) as { id: string }
    let peakSampled = 0
    let status: { finished: boolean; files?: { state: string; reason?: string }[] }
    for (;;) {
      peakSampled = Math.max(peakSampled, serve.rss())
      const res = await fetch(`${serve.baseUrl}/api/v1/import/files/status?id=${id}`, { headers: auth })
      status = (await res.json()) as typeof status
      if (status.finished) break
      if (performance.now() - started > 600_000) throw new Error('large URL import: over 600 s')
      await new Promise((r) => setTimeout(r, 100))
    }
    const seconds = (performance.now() - started) / 1000
    const ok = status.files?.filter((f) => f.state === 'success').length ?? 0
    if (ok !== files)
      throw new Error(`large URL import: ${ok} of ${files} succeeded: ${JSON.stringify(status.files?.[0])}`)
    const mbs = (files * megabytes) / seconds
    return (
      `${files} × ${megabytes} MB at concurrency ${files}: ${seconds.toFixed(1)} s = ${mbs.toFixed(0)} MB/s; ` +
      `server RSS before ${(rssBefore / 2 ** 20).toFixed(0)} MB, sampled peak ${(peakSampled / 2 ** 20).toFixed(0)} MB, ` +
      `VmHWM ${(serve.peakRss() / 2 ** 20).toFixed(0)} MB (goal < 300 MB)`
    )
  } finally {
    await serve.stop()
    origin.close()
    await db.drop()
  }
}
