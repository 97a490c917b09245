import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiClient, type EntryRecord } from '../../src/client/api-client.js'
import type { ReportLine } from '../../src/cli/import/import-runner.js'
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
const readReport = (file: string): ReportLine[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ReportLine)
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

  const importCli = (args: string[]) => runCli(['import', ...args, '--server', serve.baseUrl])
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
      const before = readReport(report).length
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
})
