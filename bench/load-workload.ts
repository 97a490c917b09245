/**
 * The load run's workload, shared by `npm run bench:load` (bench/load.bench.ts) and its fast variant in the
 * test suite (test/e2e/load-run.test.ts): `connections` concurrent loops on keep-alive connections to a real
 * `medialib serve`, each request drawn at random (seeded, so a run is repeatable) from
 *
 * - 70 % reads: `GET /api/v1/mediaLibrary?ids=…` or `?systemName=…&externalIds=…` (half each), `readKeys`
 *   distinct keys of entries known to exist (preloaded, or imported earlier in the run);
 * - 20 % imports: `POST /api/v1/import/mediaLibrary` of 100 new entries (bench/import-entries.ts);
 * - 10 % searches: `GET /api/v1/mediaLibrary?q=…&limit=20`: a common word, the next page of it (`after`),
 *   or a rare word prefix.
 *
 * An error is: a request that fails in transport or takes longer than 30 s, any answer that is not 2xx,
 * any import result that is not ok, a lookup that answers another number of entries than it asked for,
 * or a search whose page is not a page (or is empty where entries must match).
 *
 * Over 300 lines: the request kinds and the check of each answer are kept together with the loop that draws them.
 */
import http from 'node:http'
import { performance } from 'node:perf_hooks'
import { benchEntries, BENCH_SYSTEM } from './import-entries.js'

export const KINDS = ['read', 'import', 'search'] as const
export type Kind = (typeof KINDS)[number]

/** The share of each kind, in percent. */
export const MIX: Record<Kind, number> = { read: 70, import: 20, search: 10 }
export const IMPORT_BATCH = 100
const SEARCH_LIMIT = 20
const REQUEST_TIMEOUT_MS = 30_000

export interface Target {
  baseUrl: string
  token: string
}

/** The entries known to be stored: what reads pick from. Imports of the run are added as they are answered. */
export interface Library {
  ids: string[]
  externalIds: string[]
  /** The `tag` of the entries' externalIds (bench/import-entries.ts), and the next entry number free. */
  tag: string
  next: number
  /** Entry numbers below this are preloaded: a rare-word search for one of them must find it. */
  preloaded: number
}

export interface KindStats {
  requests: number
  errors: number
  latenciesMs: number[]
}

export interface MixResult {
  seconds: number
  mix: Record<Kind, number>
  kinds: Record<Kind, KindStats>
  /** Answers with a status of 500 or above. */
  status5xx: number
  /** The first few errors, for the report. */
  errorSamples: string[]
  /** Ids of the entries whose import result was ok in this phase. */
  importedIds: string[]
}

export interface MixOptions {
  durationMs: number
  connections: number
  /** Keys per lookup. */
  readKeys: number
  /** Seeds the choice of kinds and keys. */
  seed: number
  /** The share of each kind in percent; MIX unless given (e.g. reads only, for the ceiling's comparison). */
  mix?: Record<Kind, number>
}

export interface Answer {
  status: number
  body: string
}

/** One request on a keep-alive agent; rejects on a transport error or after 30 s. */
export function send(
  agent: http.Agent,
  target: Target,
  method: 'GET' | 'POST',
  path: string,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${target.token}` }
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = Buffer.byteLength(body)
    }
    const req = http.request(new URL(path, target.baseUrl), { method, agent, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}

/** A small seeded generator (mulberry32): the same seed draws the same run. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `count` distinct keys drawn from `pool` (all of them when it is smaller). */
export function distinctKeys(pool: readonly string[], count: number, rand: () => number): string[] {
  const keys = new Set<string>()
  const wanted = Math.min(count, pool.length)
  while (keys.size < wanted) keys.add(pool[Math.floor(rand() * pool.length)]!)
  return [...keys]
}

interface ImportAnswer {
  mediaLibraryEntries: { ok: boolean; id?: string; status?: number; error?: string }[]
}

/**
 * Posts `count` entries of `tag` numbered `first` … in batches of `batch`; returns the ids and externalIds
 * of the ok results in entry order (the caller decides whether any not-ok result is a failure).
 */
async function importEntries(
  agent: http.Agent,
  target: Target,
  tag: string,
  first: number,
  count: number,
): Promise<{ status: number; ids: string[]; externalIds: string[]; failed: string[] }> {
  const entries = benchEntries(first, count, tag)
  const res = await send(
    agent,
    target,
    'POST',
    '/api/v1/import/mediaLibrary',
    JSON.stringify({ mediaLibraryEntries: entries }),
  )
  const out = { status: res.status, ids: [] as string[], externalIds: [] as string[], failed: [] as string[] }
  if (res.status !== 200) return out
  const results = (JSON.parse(res.body) as ImportAnswer).mediaLibraryEntries
  results.forEach((r, i) => {
    if (r.ok && r.id !== undefined) {
      out.ids.push(r.id)
      out.externalIds.push(entries[i]!.externalId)
    } else {
      out.failed.push(`${entries[i]!.externalId}: ${r.status} ${r.error}`)
    }
  })
  if (results.length !== count) out.failed.push(`${results.length} results for ${count} entries`)
  return out
}

/** Imports `count` entries before the measured phase, `batch` per request; throws on any failure. */
export async function preload(
  target: Target,
  count: number,
  connections: number,
  tag: string,
  batch = 1_000,
): Promise<Library> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  const batches = Math.ceil(count / batch)
  const parts: { ids: string[]; externalIds: string[] }[] = []
  let next = 0
  const loop = async () => {
    while (next < batches) {
      const index = next++
      const first = index * batch
      const n = Math.min(batch, count - first)
      const res = await importEntries(agent, target, tag, first, n)
      if (res.status !== 200 || res.failed.length > 0) {
        throw new Error(`preload batch ${index}: HTTP ${res.status}; ${res.failed.slice(0, 3).join('; ')}`)
      }
      parts[index] = res
    }
  }
  try {
    await Promise.all(Array.from({ length: connections }, loop))
  } finally {
    agent.destroy()
  }
  return {
    ids: parts.flatMap((p) => p.ids),
    externalIds: parts.flatMap((p) => p.externalIds),
    tag,
    next: count,
    preloaded: count,
  }
}

interface PageAnswer {
  mediaLibraryEntries?: unknown[]
  cursor?: string | null
}

/**
 * Runs the mix for `durationMs`: each loop sends its next request as soon as the previous one is answered.
 * Entries whose import was ok join `library`, so later reads may pick them.
 */
export async function runMix(target: Target, library: Library, options: MixOptions): Promise<MixResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections })
  const rand = random(options.seed)
  const pick = (n: number) => Math.floor(rand() * n)
  const kinds = Object.fromEntries(
    KINDS.map((k) => [k, { requests: 0, errors: 0, latenciesMs: [] }]),
  ) as unknown as Record<Kind, KindStats>
  const mix = options.mix ?? MIX
  const result: MixResult = { seconds: 0, mix, kinds, status5xx: 0, errorSamples: [], importedIds: [] }
  const fail = (kind: Kind, message: string) => {
    kinds[kind].errors++
    if (result.errorSamples.length < 10) result.errorSamples.push(`${kind}: ${message}`)
  }
  const chooseKind = (): Kind => {
    let r = rand() * 100
    for (const kind of KINDS) {
      r -= mix[kind]
      if (r < 0) return kind
    }
    return 'read'
  }
  const pageOf = (body: string): PageAnswer => JSON.parse(body) as PageAnswer

  /** Sends one request of `kind`, checks the answer, returns an error message or undefined. */
  const one = async (kind: Kind, cursor: { after: string | null }): Promise<string | undefined> => {
    if (kind === 'read') {
      const byId = rand() < 0.5
      const keys = distinctKeys(byId ? library.ids : library.externalIds, options.readKeys, rand)
      const path = byId
        ? `/api/v1/mediaLibrary?ids=${keys.join(',')}`
        : `/api/v1/mediaLibrary?systemName=${BENCH_SYSTEM}&externalIds=${keys.map(encodeURIComponent).join(',')}`
      const res = await send(agent, target, 'GET', path)
      if (res.status >= 500) result.status5xx++
      if (res.status !== 200) return `GET ${path.slice(0, 80)}…: HTTP ${res.status} ${res.body.slice(0, 200)}`
      const found = pageOf(res.body).mediaLibraryEntries?.length
      return found === keys.length ? undefined : `lookup of ${keys.length} keys answered ${found} entries`
    }
    if (kind === 'import') {
      const first = library.next
      library.next += IMPORT_BATCH
      const res = await importEntries(agent, target, library.tag, first, IMPORT_BATCH)
      if (res.status >= 500) result.status5xx++
      library.ids.push(...res.ids)
      library.externalIds.push(...res.externalIds)
      result.importedIds.push(...res.ids)
      if (res.status !== 200) return `import: HTTP ${res.status}`
      return res.failed.length === 0 ? undefined : `import: ${res.failed.length} not ok: ${res.failed[0]}`
    }
    // Searches: a common word (every entry's filename has it), its next page, or a rare word prefix.
    const choice = pick(3)
    const n = pick(library.preloaded)
    const path =
      choice === 0 || (choice === 1 && cursor.after === null)
        ? `/api/v1/mediaLibrary?q=harbour&limit=${SEARCH_LIMIT}`
        : choice === 1
          ? `/api/v1/mediaLibrary?q=harbour&limit=${SEARCH_LIMIT}&after=${encodeURIComponent(cursor.after!)}`
          : `/api/v1/mediaLibrary?q=${encodeURIComponent(`harbour ${n}`)}&limit=${SEARCH_LIMIT}`
    const res = await send(agent, target, 'GET', path)
    if (res.status >= 500) result.status5xx++
    if (res.status !== 200) return `GET ${path}: HTTP ${res.status} ${res.body.slice(0, 200)}`
    const page = pageOf(res.body)
    if (!Array.isArray(page.mediaLibraryEntries) || page.cursor === undefined) return `${path}: not a page`
    // A rare prefix matches entry n at least; the common word matches every entry on the first page.
    if (choice !== 1 && page.mediaLibraryEntries.length === 0) return `${path}: no entries`
    if (choice !== 2) cursor.after = page.cursor
    return undefined
  }

  const start = performance.now()
  const end = start + options.durationMs
  const loop = async () => {
    const cursor = { after: null as string | null }
    while (performance.now() < end) {
      const kind = chooseKind()
      const sent = performance.now()
      let error: string | undefined
      try {
        error = await one(kind, cursor)
      } catch (err) {
        error = String((err as Error).message ?? err)
      }
      kinds[kind].requests++
      kinds[kind].latenciesMs.push(performance.now() - sent)
      if (error !== undefined) fail(kind, error)
    }
  }
  try {
    await Promise.all(Array.from({ length: options.connections }, loop))
  } finally {
    agent.destroy()
  }
  result.seconds = (performance.now() - start) / 1000
  return result
}

/** How many of `ids` a lookup by ids finds, 100 per request. */
export async function countReadable(target: Target, ids: readonly string[], connections: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  const chunks: string[][] = []
  for (let i = 0; i < ids.length; i += 100) chunks.push(ids.slice(i, i + 100))
  let found = 0
  let next = 0
  const loop = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!
      const res = await send(agent, target, 'GET', `/api/v1/mediaLibrary?ids=${chunk.join(',')}`)
      if (res.status !== 200) throw new Error(`GET ?ids=…: HTTP ${res.status} ${res.body.slice(0, 200)}`)
      found += (JSON.parse(res.body) as { mediaLibraryEntries: unknown[] }).mediaLibraryEntries.length
    }
  }
  try {
    await Promise.all(Array.from({ length: connections }, loop))
  } finally {
    agent.destroy()
  }
  return found
}

/** The p-quantile (0 … 1) of `values`, nearest rank; NaN when empty. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))]!
}

export const totalRequests = (r: MixResult) => KINDS.reduce((n, k) => n + r.kinds[k].requests, 0)
export const totalErrors = (r: MixResult) => KINDS.reduce((n, k) => n + r.kinds[k].errors, 0)

/** The throughput and latency table of one phase. */
export function formatMix(r: MixResult): string[] {
  const lines = [
    `${totalRequests(r).toLocaleString('en')} requests in ${r.seconds.toFixed(1)} s: ${(totalRequests(r) / r.seconds).toFixed(0)} req/s, errors ${totalErrors(r)}, 5xx ${r.status5xx}`,
    '| kind   | share | requests |  req/s | p50 ms | p99 ms | errors |',
    '|--------|------:|---------:|-------:|-------:|-------:|-------:|',
  ]
  for (const kind of KINDS) {
    const s = r.kinds[kind]
    lines.push(
      `| ${kind.padEnd(6)} | ${`${r.mix[kind]} %`.padStart(5)} | ${String(s.requests).padStart(8)} | ${(s.requests / r.seconds).toFixed(0).padStart(6)} | ${quantile(s.latenciesMs, 0.5).toFixed(2).padStart(6)} | ${quantile(s.latenciesMs, 0.99).toFixed(2).padStart(6)} | ${String(s.errors).padStart(6)} |`,
    )
  }
  for (const e of r.errorSamples) lines.push(`  error: ${e}`)
  return lines
}
