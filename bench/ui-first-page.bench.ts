/**
 * The library page's first grid page over a big library, in a cold browser (issue #19: ≤ 300 ms with 1M
 * entries), on SQLite and (when MEDIALIB_BENCH_POSTGRES_URL or MEDIALIB_TEST_POSTGRES_URL is set) PostgreSQL.
 *
 *   npm run bench:ui-first-page                       1,000,000 entries, 3 cold runs per side
 *   npm run bench:ui-first-page -- --entries 100000 --runs 5 --dialects sqlite [--detail] [--profile FILE]
 *
 * The library is written straight into the schema (bench/library-fill.ts) with 12 stored originals that the
 * entries share, then a real `medialib serve` process starts over it and is warmed by one request of the
 * first page. Each run is a fresh Chromium profile (empty cache): log in, open `/`, read the Performance API
 * (`medialib:first-page`, the mark the grid sets when its first page is on screen).
 *
 * Raw ceiling, measured in the same run, in the same way: the bare job of showing that page from a static
 * origin. A plain `node:http` server answers an HTML page with an inline script that fetches the very JSON
 * our API answered for that first page (saved beforehand, served from memory) and puts its 60 titles in the
 * DOM, then sets its mark after the next frame, as the grid does. medialib ÷ ceiling is what the UI, its bundle, the session, the auth and the
 * database query cost on top.
 */
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import { Readable } from 'node:stream'
import sharp from 'sharp'
import { DEFAULT_CONFIG, type Config } from '../src/config.js'
import { createDeps } from '../src/deps.js'
import { firstPageFigures, launchBrowser } from '../test/browser/browser.js'
import { freshDatabase, median, PG_URL, startServe, type Dialect } from './import-server.js'
import { fill, MEDIA_TYPES, PROJECT } from './library-fill.js'
import { flag, listOption, option } from './options.js'

const ENTRIES = Number(option('entries', '1000000'))
const RUNS = Number(option('runs', '3'))
const ORIGINALS = 12
const TARGET_MS = 300
/** `--detail`: print each run's resource timings, marks and paints. */
const DETAIL = flag('detail')
/** `--profile FILE`: the page's CPU profile of each medialib run, written to FILE (the last run's stays). */
const PROFILE = option('profile', '') || undefined

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

/** Writes the library and its originals, and makes a read token of its project. */
async function build(config: Config): Promise<string> {
  const deps = await createDeps(config, { warn: () => undefined })
  try {
    await deps.projects.create(PROJECT, MEDIA_TYPES as never)
    const started = performance.now()
    await fill(deps, ENTRIES, { sharedKeys: ORIGINALS })
    for (let i = 0; i < ORIGINALS; i++) {
      const jpeg = await sharp({
        create: { width: 800, height: 600, channels: 3, background: { r: i * 20, g: 90, b: 200 - i * 10 } },
      })
        .jpeg()
        .toBuffer()
      await deps.blobs.files(PROJECT).put(`k/${i}.jpg`, Readable.from([jpeg]), { contentType: 'image/jpeg' })
    }
    console.log(
      `${config.databaseUrl ? 'postgres' : 'sqlite'}: built ${ENTRIES.toLocaleString('en')} entries in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    )
    return (await deps.tokens.create({ project: PROJECT, scopes: ['public-api:read'] })).token
  } finally {
    await deps.close()
  }
}

/** One cold browser: logs in with `token` (when given), opens `url`, waits for `mark`; ms after navigation. */
async function coldRun(url: string, token: string | undefined, mark: string) {
  const b = await launchBrowser()
  try {
    if (token) {
      const login = await b.page.request.post(new URL('/ui/login', url).toString(), {
        data: { token },
        headers: { 'x-medialib-ui': '1' },
      })
      if (login.status() !== 200) throw new Error(`login answered ${login.status()}`)
    }
    const cdp = PROFILE && token ? await b.context.newCDPSession(b.page) : undefined
    if (cdp) {
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.setSamplingInterval', { interval: 100 })
      await cdp.send('Profiler.start')
    }
    await b.page.goto(url)
    await b.page.waitForFunction((name) => performance.getEntriesByName(name).length > 0, mark, {
      timeout: 30_000,
    })
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop')
      writeFileSync(PROFILE!, JSON.stringify(profile))
      console.log(`  page CPU profile: ${PROFILE} (node dist/bench/cpuprofile-top.js ${PROFILE})`)
    }
    if (mark === 'medialib:first-page') {
      const searchUrl = await b.page.evaluate(() =>
        performance
          .getEntriesByType('resource')
          .map((r) => r.name)
          .find((name) => name.includes('/mediaLibrary?') && !name.includes('count=true')),
      )
      if (DETAIL) {
        // Node's typings of the Performance API lack the browser's entry types: read loosely.
        const entries = await b.page.evaluate(() => {
          const p = performance as unknown as {
            getEntriesByType(
              t: string,
            ): { name: string; entryType: string; startTime: number; responseEnd?: number }[]
          }
          return ['resource', 'mark', 'paint'].flatMap((type) =>
            p
              .getEntriesByType(type)
              .map(
                (e) =>
                  `${e.startTime.toFixed(0)}${e.responseEnd ? `–${e.responseEnd.toFixed(0)}` : ''} ms ${e.entryType} ${e.name}`,
              ),
          )
        })
        console.log(entries.map((e) => `  ${e}`).join('\n'))
      }
      return { ...(await b.page.evaluate(firstPageFigures)), searchUrl }
    }
    const ms = await b.page.evaluate((name) => performance.getEntriesByName(name)[0]!.startTime, mark)
    return { firstPageMs: ms, tiles: await b.page.locator('.tile').count() }
  } finally {
    await b.close()
  }
}

/** The ceiling's origin: the page, and the first page's JSON as our API answered it. */
async function startCeiling(json: string): Promise<{ server: Server; url: string }> {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>ceiling</title></head><body>
<main class="grid"></main>
<script>
fetch('/first-page.json').then((r) => r.json()).then((body) => {
  const list = Array.isArray(body) ? body : Object.values(body).find(Array.isArray)
  const grid = document.querySelector('.grid')
  for (const entry of list) {
    const tile = document.createElement('article')
    tile.className = 'tile'
    const title = document.createElement('h2')
    title.textContent = (entry.metadata && entry.metadata.title) || entry.id
    tile.append(title)
    grid.append(tile)
  }
  requestAnimationFrame(() => setTimeout(() => performance.mark('ceiling:first-page')))
})
</script></body></html>`
  const server = createServer((req, res) => {
    if (req.url === '/first-page.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(json)
    } else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }
}

async function measure(dialect: Dialect) {
  const db = await freshDatabase(dialect)
  try {
    const token = await build({
      ...DEFAULT_CONFIG,
      dataDir: db.dataDir,
      ...(db.url ? { databaseUrl: db.url } : {}),
      logLevel: 'silent',
    })
    const serve = await startServe(db)
    try {
      // The first page as the grid asks for it (its URL read off a first browser run), saved for the ceiling.
      const warm = await coldRun(`${serve.baseUrl}/`, token, 'medialib:first-page')
      if (warm.tiles !== 60) throw new Error(`the grid showed ${warm.tiles} tiles, not 60`)
      const searchUrl = (warm as { searchUrl?: string }).searchUrl
      if (!searchUrl) throw new Error('the grid made no search request')
      const answer = await fetch(searchUrl, {
        headers: { authorization: `Bearer ${token}` },
      })
      if (answer.status !== 200) throw new Error(`first page answered ${answer.status}`)
      const json = await answer.text()
      const ceiling = await startCeiling(json)
      try {
        const ours: number[] = []
        const bare: number[] = []
        for (let run = 1; run <= RUNS; run++) {
          const o = await coldRun(`${serve.baseUrl}/`, token, 'medialib:first-page')
          const c = await coldRun(ceiling.url, undefined, 'ceiling:first-page')
          ours.push(o.firstPageMs!)
          bare.push(c.firstPageMs!)
          console.log(
            `${dialect} run ${run}: first grid page ${o.firstPageMs!.toFixed(0)} ms (target ≤ ${TARGET_MS}; ` +
              `DOMContentLoaded ${(o as { domContentLoadedMs?: number }).domContentLoadedMs?.toFixed(0)} ms, ` +
              `search answered after ${(o as { searchRequestMs?: number }).searchRequestMs?.toFixed(0)} ms), ` +
              `ceiling ${c.firstPageMs!.toFixed(0)} ms (${c.tiles} tiles); load average ${load()}`,
          )
        }
        const m = median(ours)
        const mc = median(bare)
        console.log(
          `${dialect}, ${ENTRIES.toLocaleString('en')} entries, cold browser, median of ${RUNS}: ` +
            `first grid page ${m.toFixed(0)} ms (target ≤ ${TARGET_MS}: ${m <= TARGET_MS ? 'met' : 'NOT met'}), ` +
            `static ceiling ${mc.toFixed(0)} ms, ratio ${(m / mc).toFixed(2)}; server peak RSS ` +
            `${(serve.peakRss() / 1024 / 1024).toFixed(0)} MB`,
        )
      } finally {
        ceiling.server.close()
      }
    } finally {
      await serve.stop()
    }
  } finally {
    await db.drop()
  }
}

const wanted = listOption('dialects', 'sqlite,postgres')
const dialects = (PG_URL ? ['sqlite', 'postgres'] : ['sqlite']).filter((d) => wanted.includes(d)) as Dialect[]
if (!PG_URL)
  console.log('(PostgreSQL skipped: set MEDIALIB_BENCH_POSTGRES_URL or MEDIALIB_TEST_POSTGRES_URL)')
console.log(`load average ${load()}`)
for (const dialect of dialects) await measure(dialect)
