/**
 * Latency of search and of GET by id and by externalId at 10,000 and at 1,000,000 entries, on SQLite
 * and (when MEDIALIB_BENCH_POSTGRES_URL or MEDIALIB_TEST_POSTGRES_URL is set) PostgreSQL, next to the
 * raw-database ceiling of the same requests (bench/search-ceiling.ts): the statements each request ran,
 * replayed on the bare driver right after it.
 *
 * The libraries are built with one set-based INSERT … SELECT straight into the schema (the FTS5 triggers
 * and the generated tsvector column index them as any write does), then each request runs through the
 * whole HTTP stack (`app.inject`: routing, auth, validation, service, SQL, presenter, JSON).
 * Usage: npm run bench:search [-- --sizes 10000,1000000 --iterations 200 --dialects sqlite,postgres
 *   --only <comma-separated parts of case names, e.g. sort=,list>]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { CompiledQuery } from 'kysely'
import pg from 'pg'
import { buildApp } from '../src/app.js'
import { DEFAULT_CONFIG, type Config } from '../src/config.js'
import { createDeps, type Deps } from '../src/deps.js'
import { BASE_MS, fill, MEDIA_TYPES, PROJECT } from './library-fill.js'
import { openReplayer } from './search-ceiling.js'
import { listOption, option } from './options.js'

const SIZES = listOption('sizes', '10000,1000000').map(Number)
const ITERATIONS = Number(option('iterations', '200'))
const PG_URL = process.env.MEDIALIB_BENCH_POSTGRES_URL ?? process.env.MEDIALIB_TEST_POSTGRES_URL
interface Case {
  name: string
  url: (size: number, i: number) => string
}

const rand = (size: number) => 1 + Math.floor(Math.random() * size)
const iso = (ms: number) => new Date(ms).toISOString()
const randomCursor = (size: number) => Buffer.from(`ml1.${rand(size)}`).toString('base64url')

const ALL_CASES: Case[] = [
  { name: 'GET by id', url: (size) => `/api/2026-03/mediaLibrary/e${rand(size)}` },
  {
    name: 'GET ?externalId&systemName',
    url: (size) => {
      const n = rand(size)
      return `/api/2026-03/mediaLibrary?externalId=x${n}&systemName=sys${n % 4}`
    },
  },
  {
    name: 'GET ?ids (10 ids)',
    url: (size) =>
      `/api/2026-03/mediaLibrary?ids=${Array.from({ length: 10 }, () => `e${rand(size)}`).join(',')}`,
  },
  { name: 'list, first page (50)', url: () => '/api/2026-03/mediaLibrary' },
  {
    name: 'list, page at a random cursor',
    url: (size) => `/api/2026-03/mediaLibrary?after=${randomCursor(size)}`,
  },
  { name: 'mediaType=clip (10 %)', url: () => '/api/2026-03/mediaLibrary?mediaType=clip' },
  { name: 'systemName=sys1 (25 %)', url: () => '/api/2026-03/mediaLibrary?systemName=sys1' },
  { name: 'state=revoked (1 %)', url: () => '/api/2026-03/mediaLibrary?state=revoked' },
  { name: 'used=true (0.1 %)', url: () => '/api/2026-03/mediaLibrary?used=true' },
  { name: 'used=false (99.9 %)', url: () => '/api/2026-03/mediaLibrary?used=false' },
  {
    name: 'used=false, page at a random cursor',
    url: (size) => `/api/2026-03/mediaLibrary?used=false&after=${randomCursor(size)}`,
  },
  {
    name: 'createdAfter (newest 500)',
    url: (size) => `/api/2026-03/mediaLibrary?createdAfter=${iso(BASE_MS + size - 500)}`,
  },
  {
    name: 'createdAfter (newest 5 %)',
    url: (size) => `/api/2026-03/mediaLibrary?createdAfter=${iso(BASE_MS + Math.floor(size * 0.95))}`,
  },
  {
    name: 'updatedAfter (newest 500)',
    url: (size) => `/api/2026-03/mediaLibrary?updatedAfter=${iso(BASE_MS + size - 500)}`,
  },
  { name: 'q=<unique word>', url: (size) => `/api/2026-03/mediaLibrary?q=u${rand(size)}` },
  { name: 'q=<1 % word>', url: () => `/api/2026-03/mediaLibrary?q=w${Math.floor(Math.random() * 100)}` },
  {
    name: 'q=<1 % word>&mediaType=clip',
    url: () => `/api/2026-03/mediaLibrary?q=w${10 * Math.floor(Math.random() * 10)}&mediaType=clip`,
  },
  { name: 'sort=-createdAt, first page', url: () => '/api/2026-03/mediaLibrary?sort=-createdAt' },
  { name: 'sort=createdAt, first page', url: () => '/api/2026-03/mediaLibrary?sort=createdAt' },
  { name: 'sort=-updatedAt, first page', url: () => '/api/2026-03/mediaLibrary?sort=-updatedAt' },
  {
    name: 'sort=-createdAt, random cursor',
    url: (size) => {
      const n = rand(size)
      const cursor = Buffer.from(`ml2.-createdAt|${iso(BASE_MS + n)}|${n}`).toString('base64url')
      return `/api/2026-03/mediaLibrary?sort=-createdAt&after=${cursor}`
    },
  },
  {
    name: 'sort=-createdAt&mediaType=clip',
    url: () => '/api/2026-03/mediaLibrary?sort=-createdAt&mediaType=clip',
  },
  {
    name: 'sort=-createdAt&q=<1 % word>',
    url: () => `/api/2026-03/mediaLibrary?sort=-createdAt&q=w${Math.floor(Math.random() * 100)}`,
  },
  {
    name: 'sort=relevance&q=<1 % word>',
    url: () => `/api/2026-03/mediaLibrary?sort=relevance&q=w${Math.floor(Math.random() * 100)}`,
  },
  { name: 'count=true (estimated)', url: () => '/api/2026-03/mediaLibrary?sort=-createdAt&count=true' },
  {
    name: 'count=true&q=<unique word> (exact)',
    url: (size) => `/api/2026-03/mediaLibrary?q=u${rand(size)}&count=true`,
  },
]
/** `--only a,b`: the cases whose names contain one of the parts (default: all). */
const CASES = ALL_CASES.filter((c) =>
  option('only', '')
    .split(',')
    .some((part) => c.name.includes(part)),
)

type Stats = { p50: number; p95: number; ceilingP50: number; ceilingP95: number }

const percentile = (sorted: number[], p: number) => sorted[Math.floor(sorted.length * p)]!

/** The statements of the request being measured; filled by the database's onQuery hook. */
const captured: CompiledQuery[] = []

async function measure(deps: Deps, size: number): Promise<Map<string, Stats>> {
  const app = await buildApp(deps)
  const token = (await deps.tokens.create({ project: PROJECT, scopes: ['public-api:read'] })).token
  const replayer = await openReplayer(deps.config)
  const out = new Map<string, Stats>()
  try {
    for (const c of CASES) {
      const times: number[] = []
      const ceiling: number[] = []
      for (let i = 0; i < ITERATIONS + 20; i++) {
        const url = c.url(size, i)
        captured.length = 0
        const start = performance.now()
        const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
        const ms = performance.now() - start
        if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
        // The same request's statements, straight on the driver, while their pages are as warm.
        const raw = await replayer.run([...captured])
        if (i >= 20) {
          times.push(ms)
          ceiling.push(raw)
        }
      }
      times.sort((a, b) => a - b)
      ceiling.sort((a, b) => a - b)
      out.set(c.name, {
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
        ceilingP50: percentile(ceiling, 0.5),
        ceilingP95: percentile(ceiling, 0.95),
      })
    }
  } finally {
    await replayer.close()
    await app.close()
  }
  return out
}

async function withDatabase(dialect: 'sqlite' | 'postgres', run: (config: Config) => Promise<void>) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'medialib-bench-'))
  const config: Config = { ...DEFAULT_CONFIG, dataDir, logLevel: 'silent' }
  if (dialect === 'sqlite') {
    try {
      await run(config)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
    return
  }
  const name = `medialib_bench_${process.pid}_${Date.now()}`
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    try {
      await client.query(text)
    } finally {
      await client.end()
    }
  }
  await admin(`CREATE DATABASE ${name}`)
  const u = new URL(PG_URL!)
  u.pathname = `/${name}`
  try {
    await run({ ...config, databaseUrl: u.toString(), dbPoolSize: 4 })
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const quiet = { warn: () => undefined }
const fmt = (n: number) => n.toFixed(2).padStart(8)

async function main() {
  const wanted = listOption('dialects', 'sqlite,postgres')
  const dialects = (PG_URL ? ['sqlite', 'postgres'] : ['sqlite']).filter((d) => wanted.includes(d)) as (
    'sqlite' | 'postgres'
  )[]
  if (!PG_URL)
    console.log('(PostgreSQL skipped: set MEDIALIB_BENCH_POSTGRES_URL or MEDIALIB_TEST_POSTGRES_URL)')
  for (const dialect of dialects) {
    const results = new Map<number, Map<string, Stats>>()
    for (const size of SIZES) {
      await withDatabase(dialect, async (config) => {
        const deps = await createDeps(config, quiet, { onQuery: (q: CompiledQuery) => captured.push(q) })
        try {
          await deps.projects.create(PROJECT, MEDIA_TYPES as never)
          const start = performance.now()
          await fill(deps, size)
          const seconds = (performance.now() - start) / 1000
          console.log(`${dialect}: built ${size.toLocaleString('en')} entries in ${seconds.toFixed(1)} s`)
          results.set(size, await measure(deps, size))
        } finally {
          await deps.close()
        }
      })
    }
    const label = (s: number) => `${(s / 1000).toLocaleString('en')}k`
    const header = SIZES.map((s) => `${label(s)} p50 / p95`.padStart(22)).join('')
    const last = SIZES[SIZES.length - 1]!
    console.log(`\n${dialect}, ms per request (${ITERATIONS} requests each, app.inject)`)
    console.log(`${'query'.padEnd(34)}${header}   ratio p50`)
    for (const c of CASES) {
      const cells = SIZES.map((s) => {
        const st = results.get(s)!.get(c.name)!
        return `${fmt(st.p50)} / ${fmt(st.p95)}`.padStart(22)
      })
      const ratio = results.get(last)!.get(c.name)!.p50 / results.get(SIZES[0]!)!.get(c.name)!.p50
      console.log(`${c.name.padEnd(34)}${cells.join('')}   ${ratio.toFixed(2).padStart(6)}×`)
    }
    console.log(
      `\n${dialect}, raw-database ceiling: the same statements on the bare driver, ms p50 / p95, and medialib ÷ ceiling (p50)`,
    )
    const ceilingHeader = SIZES.map((s) => `ceiling ${label(s)}`.padStart(22)).join('')
    const ratioHeader = SIZES.map((s) => `÷ ceiling ${label(s)}`.padStart(18)).join('')
    console.log(`${'query'.padEnd(34)}${ceilingHeader}${ratioHeader}`)
    for (const c of CASES) {
      const at = (s: number) => results.get(s)!.get(c.name)!
      const cells = SIZES.map((s) => `${fmt(at(s).ceilingP50)} / ${fmt(at(s).ceilingP95)}`.padStart(22))
      const ratios = SIZES.map((s) => `${(at(s).p50 / at(s).ceilingP50).toFixed(2)}×`.padStart(18))
      console.log(`${c.name.padEnd(34)}${cells.join('')}${ratios.join('')}`)
    }
  }
}

await main()
