import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer, connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiClient, type EntryRecord } from '../../src/client/api-client.js'
import { readReport } from '../helpers/report.js'
import { DIALECTS } from '../helpers/dialects.js'
import { rate, runsFrom, scaledTimeout } from '../helpers/long-runs.js'
import {
  CLI,
  cleanEnv,
  runCli,
  startServeCluster,
  type ServeCluster,
  type ServeProcess,
} from '../helpers/process.js'

/** Files of the archive: 300 in CI, 10,000 in the long run (`npm run test:long`). */
const COUNT = runsFrom('MEDIALIB_FILES_COUNT', 300)
/** Per file and run, on a loaded 2-core machine: generous. */
const TIMEOUT = scaledTimeout(COUNT, 300)

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const summaryOf = (stdout: string) =>
  JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown> & { bytesSent: number }

/** A JPEG of noise (incompressible) sized to land between 20 and 200 KB. */
function makeJpeg(i: number): Promise<Buffer> {
  const side = 140 + ((i * 37) % 290)
  return sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer()
}

async function pool<T>(items: readonly T[], concurrency: number, job: (item: T) => Promise<void>) {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await job(items[next++] as T)
    }),
  )
}

/**
 * A TCP proxy in front of `target` that passes the client's bytes at about `bytesPerSecond` (the answers
 * unthrottled): a slow line, so that a run can be killed in the middle of one upload. `cut()` drops every
 * connection at once, with what the kernel still buffers for them (as a line that goes down).
 */
async function throttlingProxy(
  target: URL,
  bytesPerSecond: number,
): Promise<{ url: string; cut(): void; unthrottle(): void; close(): void }> {
  const open = new Set<Socket>()
  let rate = bytesPerSecond
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname)
    open.add(client).add(upstream)
    upstream.pipe(client)
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk)
      if (rate === Infinity) return
      client.pause()
      setTimeout(() => client.resume(), (chunk.length / rate) * 1000)
    })
    client.on('end', () => upstream.end())
    const drop = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
    }
    client.on('error', drop)
    client.on('close', drop)
    upstream.on('error', drop)
    upstream.on('close', drop)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const cut = () => {
    for (const socket of open) socket.destroy()
    open.clear()
  }
  return {
    url: `http://127.0.0.1:${port}`,
    cut,
    unthrottle: () => void (rate = Infinity),
    close: () => (cut(), server.close()),
  }
}

const relPath = (i: number) => `d${i % 10}/photo ${i}.jpg`
const entryAt = (i: number, prefix: string) => ({
  systemName: 'archive',
  externalId: `${prefix}-${i}`,
  mediaType: 'image',
  asset: { path: relPath(i) },
  metadata: { title: `Photo ${i}` },
})

/** The archive on disk, made once for both dialects: COUNT JPEGs under `files/` and their SHA-256. */
const archive = mkdtempSync(path.join(tmpdir(), 'medialib-files-'))
const filesDir = path.join(archive, 'files')
const hashes: string[] = []
let totalBytes = 0

beforeAll(async () => {
  const started = performance.now()
  for (let d = 0; d < 10; d++) mkdirSync(path.join(filesDir, `d${d}`), { recursive: true })
  await pool(
    Array.from({ length: COUNT }, (_, i) => i),
    2,
    async (i) => {
      const jpeg = await makeJpeg(i)
      writeFileSync(path.join(filesDir, relPath(i)), jpeg)
      hashes[i] = sha(jpeg)
      totalBytes += jpeg.length
    },
  )
  console.log(`generated ${COUNT} JPEGs, ${(totalBytes / 1e6).toFixed(1)} MB: ${rate(COUNT, started)}`)
}, TIMEOUT)
afterAll(() => rmSync(archive, { recursive: true, force: true }))

describe.each(DIALECTS)('medialib import --files against a server process (%s)', (dialect) => {
  let cluster: ServeCluster
  let serve: ServeProcess
  let token: string

  const importCli = (args: string[], server = serve.baseUrl) =>
    runCli(['import', ...args, '--server', server])
  const writeInput = (name: string, entries: unknown[]) => {
    const file = path.join(cluster.dataDir, name)
    writeFileSync(file, `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`)
    return file
  }

  /** Every entry of the project under `prefix` is there once, with the file's bytes (served back). */
  async function expectStored(projectToken: string, prefix: string) {
    const client = createApiClient({ server: serve.baseUrl, token: projectToken })
    const ids = Array.from({ length: COUNT }, (_, i) => `${prefix}-${i}`)
    const stored = await client.getByExternalIds('archive', ids)
    expect(stored).toHaveLength(COUNT)
    expect(new Set(stored.map((r) => r.externalId)).size).toBe(COUNT)
    let listed = 0
    let cursor: string | null = null
    do {
      const page = await client.listPage({ limit: 1000, after: cursor })
      listed += page.entries.length
      cursor = page.cursor
    } while (cursor !== null)
    expect(listed).toBe(COUNT)
    await pool(stored, 8, async (record: EntryRecord) => {
      const i = Number(record.externalId!.slice(prefix.length + 1))
      const asset = record.asset as { url: string; size: number; mimeType: string; filename: string }
      expect(record.metadata).toMatchObject({ title: `Photo ${i}` })
      expect(asset).toMatchObject({ mimeType: 'image/jpeg', filename: `photo ${i}.jpg` })
      const res = await fetch(asset.url.replace(/^https?:\/\/[^/]+/, serve.baseUrl), {
        headers: { authorization: `Bearer ${projectToken}` },
      })
      expect(res.status).toBe(200)
      const bytes = Buffer.from(await res.arrayBuffer())
      expect(bytes.length).toBe(asset.size)
      expect(sha(bytes)).toBe(hashes[i])
    })
  }

  beforeAll(async () => {
    cluster = await startServeCluster(dialect)
    serve = cluster.servers[0]!
    token = serve.firstToken!
  }, 120_000)
  afterAll(async () => {
    await cluster?.close()
  })

  it(
    `uploads ${COUNT} JPEGs byte for byte; a second run sends 0 bytes`,
    async () => {
      const input = writeInput(
        'archive.ndjson',
        Array.from({ length: COUNT }, (_, i) => entryAt(i, 'a')),
      )
      const report = path.join(cluster.dataDir, 'run1.ndjson')
      let started = performance.now()
      const first = await importCli([
        input,
        '--files',
        filesDir,
        '--token',
        token,
        '--report',
        report,
        '--json',
      ])
      expect(first.code, first.stderr).toBe(0)
      console.log(`${dialect}: first run ${rate(COUNT, started)}`)
      expect(summaryOf(first.stdout)).toMatchObject({
        ok: COUNT,
        alreadyPresent: 0,
        failed: 0,
        filesSent: COUNT,
        bytesSent: totalBytes,
      })
      const lines = readReport(report)
      expect(lines).toHaveLength(COUNT)
      expect(new Set(lines.map((l) => l.line)).size).toBe(COUNT)
      expect(lines.every((l) => l.result === 'ok')).toBe(true)
      await expectStored(token, 'a')

      started = performance.now()
      const again = await importCli([input, '--files', filesDir, '--token', token, '--quiet'])
      expect(again.code, again.stderr).toBe(0)
      console.log(`${dialect}: second run ${rate(COUNT, started)}`)
      expect(again.stdout).toMatch(new RegExp(`^already present\\s+${COUNT}$`, 'm'))
      expect(again.stdout).toMatch(/^ok\s+0$/m)
      expect(again.stdout).toMatch(/^files sent\s+0$/m)
      expect(again.stdout).toMatch(/^bytes sent\s+0$/m)
      // The closing progress line names the files, the bytes sent and the rate.
      expect(again.stderr).toMatch(new RegExp(`import: ${COUNT}/${COUNT} done .*, 0\\.0 MB sent \\(`))
    },
    TIMEOUT,
  )

  it(
    'SIGKILL mid-run, then --resume: each entry exactly once, byte for byte',
    async () => {
      const projectToken = await (async () => {
        const created = await runCli(['projects', 'create', 'resumed', ...cluster.dbArgs])
        expect(created.code, created.stderr).toBe(0)
        return cluster.cliToken('resumed', ['public-api:read', 'public-api:write'])
      })()
      const input = writeInput(
        'resume.ndjson',
        Array.from({ length: COUNT }, (_, i) => entryAt(i, 'r')),
      )
      const report = path.join(cluster.dataDir, 'resume-report.ndjson')
      const args = ['import', input, '--server', serve.baseUrl, '--token', projectToken, '--report', report]
      const batch = String(Math.max(10, Math.round(COUNT / 30)))
      const child = spawn(process.execPath, [CLI, ...args, '--files', filesDir, '--batch', batch], {
        env: cleanEnv(),
        stdio: 'ignore',
      })
      const exited = once(child, 'exit')
      const lines = () => {
        try {
          return statSync(report).size / 60
        } catch {
          return 0
        }
      }
      const deadline = Date.now() + TIMEOUT / 2
      while (lines() < COUNT / 3 && Date.now() < deadline && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 20))
      expect(child.exitCode).toBeNull()
      child.kill('SIGKILL')
      await exited
      const before = readReport(report, { afterKill: true }).length
      expect(before).toBeGreaterThan(0)
      expect(before).toBeLessThan(COUNT)

      const resumed = await runCli([...args, '--files', filesDir, '--resume', '--json'])
      expect(resumed.code, resumed.stderr).toBe(0)
      const summary = summaryOf(resumed.stdout)
      expect(summary).toMatchObject({ failed: 0 })
      expect((summary.ok as number) + (summary.alreadyPresent as number)).toBe(COUNT)
      // Only what the first run had not sent is sent again (and at most the batch in flight twice).
      expect(summary.bytesSent).toBeLessThan(totalBytes)
      const all = readReport(report)
      expect(all).toHaveLength(COUNT)
      expect(new Set(all.map((l) => l.line)).size).toBe(COUNT)
      expect(all.every((l) => l.result === 'ok' || l.result === 'already-present')).toBe(true)
      await expectStored(projectToken, 'r')
    },
    TIMEOUT,
  )

  it('refuses paths that escape --files, per entry; a large file goes by tus', async () => {
    const outside = path.join(archive, 'outside.jpg')
    writeFileSync(outside, readFileSync(path.join(filesDir, relPath(0))))
    const links = path.join(cluster.dataDir, 'links')
    mkdirSync(path.join(links, 'in'), { recursive: true })
    symlinkSync(outside, path.join(links, 'in', 'out.jpg'))
    symlinkSync(archive, path.join(links, 'in', 'up'))
    // A link that stays inside --files, to bytes the project holds under another entry.
    writeFileSync(path.join(links, 'in', 'copy.jpg'), readFileSync(path.join(filesDir, relPath(1))))
    symlinkSync('copy.jpg', path.join(links, 'in', 'fine.jpg'))
    writeFileSync(path.join(links, 'in', 'real.jpg'), await makeJpeg(123_457))
    const entry = (n: number, p: unknown) => ({
      systemName: 'paths',
      externalId: `p-${n}`,
      asset: { path: p },
    })
    const input = writeInput('paths.ndjson', [
      entry(0, '../outside.jpg'),
      entry(1, outside),
      entry(2, 'out.jpg'),
      entry(3, 'up/outside.jpg'),
      entry(4, 'missing.jpg'),
      entry(5, 'fine.jpg'),
      entry(6, 'real.jpg'),
      entry(7, 42),
    ])
    const report = path.join(cluster.dataDir, 'paths.ndjson.report')
    const res = await importCli([
      input,
      ...['--files', path.join(links, 'in'), '--token', token, '--report', report, '--resumable-over', '0'],
    ])
    expect(res.code, res.stderr).toBe(1)
    const lines = readReport(report).sort((a, b) => a.line - b.line)
    const failures = lines.filter((l) => l.result === 'failed')
    expect(failures.map((l) => [l.line, l.status, l.error])).toEqual(
      [1, 2, 3, 4, 5, 8].map((line) => [line, 400, 'InvalidPath']),
    )
    expect(failures.map((l) => l.details?.message)).toEqual([
      expect.stringContaining("contains '..'"),
      expect.stringContaining('is absolute'),
      expect.stringContaining('leads out of --files'),
      expect.stringContaining('leads out of --files'),
      expect.stringContaining("no file 'missing.jpg'"),
      expect.stringContaining('must name a file'),
    ])
    // fine.jpg's bytes are entry a-1's (duplicate policy skip); real.jpg is new and went by tus.
    expect(lines[5]).toMatchObject({ result: 'already-present', id: expect.any(String) })
    expect(lines[6]).toMatchObject({ result: 'ok' })
    const client = createApiClient({ server: serve.baseUrl, token })
    const [stored] = await client.getByExternalIds('paths', ['p-6'])
    const served = await fetch(
      (stored!.asset as { url: string }).url.replace(/^https?:\/\/[^/]+/, serve.baseUrl),
      { headers: { authorization: `Bearer ${token}` } },
    )
    expect(sha(Buffer.from(await served.arrayBuffer()))).toBe(
      sha(readFileSync(path.join(links, 'in', 'real.jpg'))),
    )
  }, 120_000)

  it('a tus upload killed with its CLI continues at the server offset on --resume, byte for byte', async () => {
    // About 12 MB of noise PNG (under the image type's 15 MB), through a 4 MB/s line: 3 s of upload.
    const big = path.join(cluster.dataDir, 'big', 'noise.png')
    mkdirSync(path.dirname(big), { recursive: true })
    const side = 2000
    const png = await sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer()
    writeFileSync(big, png)
    const proxy = await throttlingProxy(new URL(serve.baseUrl), 1024 * 1024)
    try {
      const input = writeInput('big.ndjson', [
        { systemName: 'big', externalId: 'noise', mediaType: 'image', asset: { path: 'noise.png' } },
      ])
      const report = path.join(cluster.dataDir, 'big-report.ndjson')
      const args = [
        'import',
        input,
        ...['--server', proxy.url, '--token', token, '--report', report],
        ...['--files', path.dirname(big), '--resumable-over', '1000000'],
      ]
      const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(), stdio: 'ignore' })
      const exited = once(child, 'exit')
      // The unfinished upload's URL, as the CLI keeps it beside the report; its offset, as the server has it.
      const store = `${report}.uploads`
      const offset = async (): Promise<number> => {
        if (!existsSync(store)) return 0
        const kept = Object.values(JSON.parse(readFileSync(store, 'utf8') || '{}') as object) as {
          uploadUrl: string
        }[]
        if (!kept[0]) return 0
        const res = await fetch(kept[0].uploadUrl.replace(proxy.url, serve.baseUrl), {
          method: 'HEAD',
          headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' },
        })
        return Number(res.headers.get('upload-offset') ?? 0)
      }
      const deadline = Date.now() + 60_000
      let reached = 0
      while (reached < 1_000_000 && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 50))
        reached = await offset()
      }
      expect(child.exitCode).toBeNull()
      child.kill('SIGKILL')
      await exited
      expect(reached).toBeGreaterThanOrEqual(1_000_000)
      expect(reached).toBeLessThan(png.length)
      proxy.unthrottle()
      // The server keeps what arrived; nothing is an entry yet.
      await new Promise((r) => setTimeout(r, 200))
      const kept = await offset()
      expect(kept).toBeGreaterThanOrEqual(reached)
      const client = createApiClient({ server: serve.baseUrl, token })
      expect(await client.getByExternalIds('big', ['noise'])).toHaveLength(0)

      const resumed = await runCli([...args, '--resume', '--json'])
      expect(resumed.code, resumed.stderr).toBe(0)
      const summary = summaryOf(resumed.stdout)
      expect(summary).toMatchObject({ ok: 1, failed: 0, filesSent: 1 })
      // Only the rest went over the line: the upload continued, it did not start anew.
      expect(summary.bytesSent).toBe(png.length - kept)
      expect(readReport(report)).toEqual([expect.objectContaining({ line: 1, result: 'ok' })])
      // A finished upload leaves nothing to resume.
      expect(Object.keys(JSON.parse(readFileSync(store, 'utf8') || '{}') as object)).toHaveLength(0)
      const [stored] = await client.getByExternalIds('big', ['noise'])
      const served = await fetch(
        (stored!.asset as { url: string }).url.replace(/^https?:\/\/[^/]+/, serve.baseUrl),
        { headers: { authorization: `Bearer ${token}` } },
      )
      expect(sha(Buffer.from(await served.arrayBuffer()))).toBe(sha(png))
    } finally {
      proxy.close()
    }
  }, 180_000)

  it('reads a CSV with --map asset.path=Column: entries, metadata and bytes', async () => {
    const n = Math.min(COUNT, 40)
    const rows = Array.from({ length: n }, (_, i) => `csv-${i},"Harbour, no. ${i}",${relPath(i)}`)
    const input = path.join(cluster.dataDir, 'legacy.csv')
    writeFileSync(input, `Ref,Headline,File\n${rows.join('\n')}\n`)
    const csvToken = await (async () => {
      const created = await runCli(['projects', 'create', 'csv', ...cluster.dbArgs])
      expect(created.code, created.stderr).toBe(0)
      return cluster.cliToken('csv', ['public-api:read', 'public-api:write'])
    })()
    const res = await importCli([
      input,
      ...['--files', filesDir, '--token', csvToken, '--json'],
      ...['--media-type', 'image', '--set', 'systemName=legacy'],
      ...['--map', 'externalId=Ref', '--map', 'title=Headline', '--map', 'asset.path=File'],
    ])
    expect(res.code, res.stderr).toBe(0)
    expect(summaryOf(res.stdout)).toMatchObject({ ok: n, failed: 0, filesSent: n })
    const client = createApiClient({ server: serve.baseUrl, token: csvToken })
    const stored = await client.getByExternalIds(
      'legacy',
      Array.from({ length: n }, (_, i) => `csv-${i}`),
    )
    expect(stored).toHaveLength(n)
    await pool(stored, 4, async (record: EntryRecord) => {
      const i = Number(record.externalId!.slice('csv-'.length))
      expect(record.metadata).toMatchObject({ title: `Harbour, no. ${i}` })
      const asset = record.asset as { url: string; filename: string }
      expect(asset.filename).toBe(`photo ${i}.jpg`)
      const served = await fetch(asset.url.replace(/^https?:\/\/[^/]+/, serve.baseUrl), {
        headers: { authorization: `Bearer ${csvToken}` },
      })
      expect(sha(Buffer.from(await served.arrayBuffer()))).toBe(hashes[i])
    })
  }, 120_000)

  it('sends each file alone to a server that takes fewer files per request: every entry once', async () => {
    const n = Math.min(COUNT, 9)
    const config = path.join(cluster.dataDir, 'two-files.json')
    writeFileSync(config, JSON.stringify({ upload: { maxFilesPerRequest: 2 } }))
    const small = await cluster.serve({ MEDIALIB_CONFIG: config })
    const created = await runCli(['projects', 'create', 'two', ...cluster.dbArgs])
    expect(created.code, created.stderr).toBe(0)
    const twoToken = await cluster.cliToken('two', ['public-api:read', 'public-api:write'])
    const input = writeInput(
      'two.ndjson',
      Array.from({ length: n }, (_, i) => ({
        systemName: 'two',
        externalId: `t${i}`,
        asset: { path: relPath(i) },
      })),
    )
    const res = await importCli([input, '--files', filesDir, '--token', twoToken, '--json'], small.baseUrl)
    expect(res.code, res.stderr).toBe(0)
    expect(summaryOf(res.stdout)).toMatchObject({ ok: n, failed: 0, filesSent: n })
    const client = createApiClient({ server: small.baseUrl, token: twoToken })
    const stored = await client.getByExternalIds(
      'two',
      Array.from({ length: n }, (_, i) => `t${i}`),
    )
    expect(stored).toHaveLength(n)
  }, 120_000)
})
