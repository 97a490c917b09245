/**
 * Memory and event loop of a real `medialib serve` while 3 clients send 64 MiB import bodies at once
 * (issue 13, finding 10; see docs/reliability.md). Targets: RSS under 400 MB, health within 100 ms.
 *
 *   npm run bench:import-memory                 SQLite (and PostgreSQL when MEDIALIB_TEST_POSTGRES_URL
 *                                               or MEDIALIB_BENCH_POSTGRES_URL is set)
 *
 * Options: --dialects sqlite,postgres, --clients N (default 3), --runs N (default 1).
 * The bodies are sent from a child process, so that the health sampler here (every 25 ms: VmRSS and VmHWM
 * from /proc, then `GET /api/v1/health`) measures the server, not a busy client. Ceilings measured in the
 * same run: the server's RSS idle, and the bare `JSON.parse` of one body in a fresh process (its time and
 * the RSS it adds): what the job costs before anything is stored.
 */
import { fork } from 'node:child_process'
import { loadavg } from 'node:os'
import { freshDatabase, PG_URL, startServe, type Dialect } from './import-server.js'
import { args, option } from './options.js'

const MiB = 1024 * 1024
const BODY_BYTES = 64 * MiB - 1024
const ENTRIES = 2000

/** A valid import body of ENTRIES image entries padded with captions to about BODY_BYTES (as the e2e test). */
function importBody(client: number): string {
  const caption = 'x'.repeat(Math.floor(BODY_BYTES / ENTRIES) - 330)
  return JSON.stringify({
    mediaLibraryEntries: Array.from({ length: ENTRIES }, (_, i) => ({
      id: `m${client}-${i}-${Date.now().toString(36)}`,
      mediaType: 'image',
      asset: {
        key: `memory/${client}/${i}.jpg`,
        url: `https://cdn.example.com/${client}/${i}.jpg`,
        size: 1,
        width: 1,
        height: 1,
        filename: 'a.jpg',
        mimeType: 'image/jpeg',
      },
      metadata: { title: 't', caption },
    })),
  })
}

const rssMb = () => process.memoryUsage().rss / MiB

interface Sent {
  status: number
  ms: number
  bytes: number
}

/** Child mode: send the bodies at once, answer the statuses. */
async function send(baseUrl: string, token: string, clients: number): Promise<void> {
  // Encoded before the start: the clients' own work must not show as the server's.
  const bodies = Array.from({ length: clients }, (_, c) => Buffer.from(importBody(c)))
  process.send!({ ready: true })
  await new Promise((resolve) => process.once('message', resolve))
  const started = performance.now()
  const sent: Sent[] = await Promise.all(
    bodies.map(async (body) => {
      const res = await fetch(`${baseUrl}/api/v1/import/mediaLibrary`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      })
      const bytes = (await res.arrayBuffer()).byteLength
      return { status: res.status, ms: performance.now() - started, bytes }
    }),
  )
  process.send!({ sent })
}

/** Child mode: the bare JSON.parse of one body. */
function ceiling(): void {
  const body = importBody(0)
  const before = rssMb()
  const started = performance.now()
  const parsed = JSON.parse(body) as { mediaLibraryEntries: unknown[] }
  const ms = performance.now() - started
  process.send!({ parseMs: ms, addedMb: rssMb() - before, entries: parsed.mediaLibraryEntries.length })
}

function child(mode: string, extra: string[]): Promise<{ proc: ReturnType<typeof fork>; first: unknown }> {
  const proc = fork(new URL(import.meta.url), ['--child', mode, ...extra], { stdio: 'inherit' })
  return new Promise((resolve, reject) => {
    proc.once('message', (first) => resolve({ proc, first }))
    proc.once('error', reject)
  })
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

async function measure(dialect: Dialect, clients: number) {
  const db = await freshDatabase(dialect)
  const serve = await startServe(db)
  try {
    await new Promise((r) => setTimeout(r, 1000))
    const idle = serve.rss() / MiB
    const sender = await child('send', [serve.baseUrl, serve.token, String(clients)])
    const done = new Promise<Sent[]>((resolve) =>
      sender.proc.on('message', (m: { sent?: Sent[] }) => m.sent && resolve(m.sent)),
    )
    let sending = true
    let peak = 0
    const health: number[] = []
    const sampler = (async () => {
      while (sending) {
        peak = Math.max(peak, serve.rss() / MiB)
        const started = performance.now()
        const res = await fetch(`${serve.baseUrl}/api/v1/health`)
        await res.arrayBuffer()
        health.push(performance.now() - started)
        if (res.status !== 200) throw new Error(`health answered ${res.status}`)
        await new Promise((r) => setTimeout(r, 25))
      }
    })()
    sender.proc.send('go')
    const sent = await done
    sending = false
    await sampler
    sender.proc.kill()
    const hwm = serve.peakRss() / MiB
    const sorted = [...health].sort((a, b) => a - b)
    return {
      idle,
      peak,
      hwm,
      slowest: sorted.at(-1) ?? 0,
      p99: pct(sorted, 0.99),
      p50: pct(sorted, 0.5),
      n: sorted.length,
      sent,
    }
  } finally {
    await serve.stop()
    await db.drop()
  }
}

async function main() {
  const clients = Number(option('clients', '3'))
  const runs = Number(option('runs', '1'))
  const dialects = option('dialects', PG_URL ? 'sqlite,postgres' : 'sqlite')
    .split(',')
    .filter((d) => d === 'sqlite' || PG_URL) as Dialect[]
  const parse = (await child('ceiling', [])).first as { parseMs: number; addedMb: number }
  console.log(
    `ceiling: bare JSON.parse of one ${(BODY_BYTES / MiB).toFixed(0)} MiB body (${ENTRIES} entries): ` +
      `${parse.parseMs.toFixed(0)} ms, +${parse.addedMb.toFixed(0)} MB RSS`,
  )
  for (const dialect of dialects) {
    for (let run = 1; run <= runs; run++) {
      const r = await measure(dialect, clients)
      const answers = r.sent.map((s) => `${s.status} after ${(s.ms / 1000).toFixed(1)} s`).join(', ')
      console.log(
        `${dialect} run ${run}: ${clients} × 64 MiB: RSS idle ${r.idle.toFixed(0)} MB, peak ${r.peak.toFixed(0)} MB ` +
          `(VmHWM ${r.hwm.toFixed(0)} MB; target < 400, ${(r.hwm / r.idle).toFixed(1)}× idle); health ` +
          `slowest ${r.slowest.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, median ${r.p50.toFixed(0)} ms ` +
          `of ${r.n} (target < 100); answers: ${answers}; load average ${loadavg()
            .map((l) => l.toFixed(2))
            .join(' ')}`,
      )
    }
  }
}

if (args[0] === '--child') {
  if (args[1] === 'send') await send(args[2]!, args[3]!, Number(args[4]))
  else ceiling()
  process.disconnect?.()
} else {
  await main()
}
