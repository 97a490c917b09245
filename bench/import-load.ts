/**
 * The load generator of the import benchmark, run as its own Node process (forked with IPC) so that it
 * never shares an event loop with the server. It posts batches to `POST /api/v1/import/mediaLibrary`
 * from `clients` concurrent keep-alive connections and checks that every entry of every answer is ok.
 *
 * Message in: LoadJob. Messages out: { slice } per `sliceEvery` entries, then { done } or { error }.
 */
import http from 'node:http'
import { performance } from 'node:perf_hooks'
import { benchEntries } from './import-entries.js'

export interface LoadJob {
  baseUrl: string
  token: string
  tag: string
  /** The number of the first entry (entries are numbered start … start + count - 1). */
  start: number
  count: number
  batch: number
  clients: number
  /** Build every body before the clock starts (short runs) instead of per request (the 1M run). */
  pregenerate: boolean
  /** Report throughput every this many entries (0: never). */
  sliceEvery: number
}

export interface LoadSlice {
  entries: number
  seconds: number
}

export type LoadMessage =
  { slice: LoadSlice } | { done: { entries: number; seconds: number } } | { error: string }

function post(agent: http.Agent, url: URL, token: string, body: string): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve([res.statusCode ?? 0, Buffer.concat(chunks).toString()]))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const bodyOf = (job: LoadJob, index: number) => {
  const offset = index * job.batch
  const n = Math.min(job.batch, job.count - offset)
  return JSON.stringify({ mediaLibraryEntries: benchEntries(job.start + offset, n, job.tag) })
}

export async function runLoad(job: LoadJob, report: (m: LoadMessage) => void): Promise<void> {
  const batches = Math.ceil(job.count / job.batch)
  const bodies = job.pregenerate ? Array.from({ length: batches }, (_, i) => bodyOf(job, i)) : undefined
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.clients })
  const url = new URL('/api/v1/import/mediaLibrary', job.baseUrl)
  let next = 0
  let done = 0
  let sliceStart = performance.now()
  let sliceEntries = 0
  const start = performance.now()
  const client = async () => {
    while (next < batches) {
      const index = next++
      const body = bodies ? bodies[index]! : bodyOf(job, index)
      const expected = Math.min(job.batch, job.count - index * job.batch)
      const [status, text] = await post(agent, url, job.token, body)
      const ok = text.split('{"ok":true').length - 1
      if (status !== 200 || ok !== expected) {
        throw new Error(`batch ${index}: HTTP ${status}, ${ok} of ${expected} ok: ${text.slice(0, 500)}`)
      }
      done += expected
      sliceEntries += expected
      if (job.sliceEvery > 0 && sliceEntries >= job.sliceEvery) {
        const now = performance.now()
        report({ slice: { entries: sliceEntries, seconds: (now - sliceStart) / 1000 } })
        sliceStart = now
        sliceEntries = 0
      }
    }
  }
  await Promise.all(Array.from({ length: job.clients }, client))
  const seconds = (performance.now() - start) / 1000
  agent.destroy()
  report({ done: { entries: done, seconds } })
}

if (process.send) {
  process.once('message', (job: LoadJob) => {
    const send = (m: LoadMessage) => process.send!(m)
    runLoad(job, send).then(
      () => process.disconnect(),
      (err: unknown) => {
        send({ error: String((err as Error).stack ?? err) })
        process.disconnect()
      },
    )
  })
}
