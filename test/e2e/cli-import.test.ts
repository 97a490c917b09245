import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiClient, type ApiClient } from '../../src/client/api-client.js'
import { DIALECTS } from '../helpers/dialects.js'
import { readReport, type ReportLine } from '../helpers/report.js'
import {
  CLI,
  cleanEnv,
  runCli,
  startServeCluster,
  type ServeCluster,
  type ServeProcess,
} from '../helpers/process.js'

const FIXTURES = path.resolve('test/fixtures/media-types')
const COUNT = 20_000

/** Entry i of a generated archive; every 100th (from the 38th) is bad, two kinds in turn. */
function entryAt(i: number, prefix: string, withId = true): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    ...(withId ? { id: `${prefix}-${i}` } : {}),
    systemName: 'legacy',
    externalId: `${prefix}-x${i}`,
    mediaType: 'image',
    asset: {
      key: `${prefix}/${i}.jpg`,
      url: `https://cdn.example.com/${prefix}/${i}.jpg`,
      size: 1000 + i,
      width: 800,
      height: 600,
      mimeType: 'image/jpeg',
      filename: `${i}.jpg`,
    },
    // Keys in an order PostgreSQL's jsonb does not keep: the comparison must not depend on it.
    metadata: { title: `Title ${i}`, caption: `Caption ${i}`, source: 'Archive' },
  }
  if (i % 100 === 37) {
    if (i % 200 === 37) entry.metadata = { title: i }
    else delete (entry.asset as Record<string, unknown>).width
  }
  return entry
}

const badLines = (count: number) => Array.from({ length: count }, (_, i) => i).filter((i) => i % 100 === 37)

describe.each(DIALECTS)('medialib import against a server process (%s)', (dialect) => {
  let cluster: ServeCluster
  let dir: string
  let serve: ServeProcess
  let dbArgs: string[]
  let token: string
  let client: ApiClient
  let input: string

  const importCli = (args: string[]) => runCli(['import', ...args, '--server', serve.baseUrl])

  async function projectToken(project: string): Promise<string> {
    const created = await runCli(['projects', 'create', project, ...dbArgs])
    expect(created.code, created.stderr).toBe(0)
    return cluster.cliToken(project, ['public-api:read', 'public-api:write'])
  }

  beforeAll(async () => {
    cluster = await startServeCluster(dialect)
    ;({ dataDir: dir, dbArgs } = cluster)
    serve = cluster.servers[0]!
    token = serve.firstToken!
    client = createApiClient({ server: serve.baseUrl, token })
    input = path.join(dir, 'archive.ndjson')
    const lines = Array.from({ length: COUNT }, (_, i) => JSON.stringify(entryAt(i, 'a')))
    writeFileSync(input, `${lines.join('\n')}\n`)
  }, 120_000)
  afterAll(async () => {
    await cluster?.close()
  })

  it('imports 20,000 lines with 1% bad entries: a report with exactly those failures, exit 1', async () => {
    const report = path.join(dir, 'run1.ndjson')
    const res = await importCli([input, '--token', token, '--report', report])
    expect(res.code, res.stderr).toBe(1)
    const lines = readReport(report)
    expect(lines).toHaveLength(COUNT)
    expect(new Set(lines.map((l) => l.line)).size).toBe(COUNT)
    const failed = lines.filter((l) => l.result === 'failed')
    expect(failed.map((l) => l.line - 1).sort((a, b) => a - b)).toEqual(badLines(COUNT))
    for (const f of failed) {
      const i = f.line - 1
      expect(f.correlation).toBe(`id: a-${i}`)
      expect(f.status).toBe(400)
      expect(f.error).toBe(i % 200 === 37 ? 'MetadataValidationErrors' : 'ValidationError')
    }
    expect(lines.filter((l) => l.result === 'ok')).toHaveLength(19_800)
    expect(lines.find((l) => l.line === 1)).toEqual({
      line: 1,
      correlation: 'id: a-0',
      result: 'ok',
      id: 'a-0',
    })
    expect(res.stdout).toMatch(/^ok\s+19800$/m)
    expect(res.stdout).toMatch(/^failed\s+200$/m)
    expect(res.stdout).toMatch(/^ {2}ValidationError\s+100$/m)
    expect(res.stdout).toMatch(/^ {2}MetadataValidationErrors\s+100$/m)
    const stored = await client.getByIds(['a-0', 'a-37', 'a-19999'])
    expect(stored.map((r) => r.id).sort()).toEqual(['a-0', 'a-19999'])
    expect(stored.find((r) => r.id === 'a-0')?.metadata).toEqual({
      title: 'Title 0',
      caption: 'Caption 0',
      source: 'Archive',
    })
  }, 180_000)

  it('a second run reports 0 new, 19,800 already present and the same failures', async () => {
    const report = path.join(dir, 'run2.ndjson')
    const res = await importCli([input, '--token', token, '--report', report, '--json', '--concurrency', '2'])
    expect(res.code, res.stderr).toBe(1)
    const summary = JSON.parse(res.stdout.trim().split('\n').pop()!) as Record<string, unknown>
    expect(summary).toMatchObject({ type: 'summary', ok: 0, alreadyPresent: 19_800, failed: 200 })
    expect(summary.failedBy).toEqual({ ValidationError: 100, MetadataValidationErrors: 100 })
    const first = readReport(path.join(dir, 'run1.ndjson')).filter((l) => l.result === 'failed')
    const second = readReport(report)
    const byLine = (a: ReportLine, b: ReportLine) => a.line - b.line
    expect(second.filter((l) => l.result === 'failed').sort(byLine)).toEqual(first.sort(byLine))
    for (const l of second.filter((x) => x.result === 'already-present')) expect(l.id).toBe(`a-${l.line - 1}`)
  }, 180_000)

  it('an entry whose id is taken by different content fails, naming the stored entry', async () => {
    const file = path.join(dir, 'changed.ndjson')
    const changed = entryAt(5, 'a')
    changed.metadata = { caption: 'Caption 5', title: 'Another title', source: 'Archive' }
    const reordered = entryAt(6, 'a')
    reordered.metadata = { source: 'Archive', caption: 'Caption 6', title: 'Title 6' }
    const noId = entryAt(7, 'a', false)
    writeFileSync(file, [changed, reordered, noId].map((e) => JSON.stringify(e)).join('\n'))
    const report = path.join(dir, 'changed-report.ndjson')
    const res = await importCli([file, '--token', token, '--report', report])
    expect(res.code, res.stderr).toBe(1)
    const lines = readReport(report).sort((a, b) => a.line - b.line)
    expect(lines[0]).toMatchObject({ result: 'failed', status: 409, error: 'UniqueIdViolation' })
    expect(lines[0]?.details).toMatchObject({ conflictsWith: 'a-5', identical: false })
    expect(lines[1]).toMatchObject({ result: 'already-present', id: 'a-6' })
    expect(lines[2]).toMatchObject({
      result: 'already-present',
      id: 'a-7',
      correlation: 'externalId: legacy/a-x7',
    })
  }, 120_000)

  it('SIGKILL halfway, then --resume: each entry exactly once, in the project and in the report', async () => {
    const total = 10_000
    const projectTokenValue = await projectToken('resumed')
    const file = path.join(dir, 'resume.ndjson')
    // No ids: only (systemName, externalId) identifies the entries, as in most migrations.
    writeFileSync(
      file,
      Array.from({ length: total }, (_, i) => JSON.stringify(entryAt(i * 100, 'r', false))).join('\n'),
    )
    const report = path.join(dir, 'resume-report.ndjson')
    const args = ['import', file, '--server', serve.baseUrl, '--token', projectTokenValue, '--report', report]
    const child = spawn(process.execPath, [CLI, ...args, '--batch', '100', '--concurrency', '3'], {
      env: cleanEnv(),
      stdio: 'ignore',
    })
    const exited = once(child, 'exit')
    const size = () => {
      try {
        return statSync(report).size
      } catch {
        return 0
      }
    }
    const deadline = Date.now() + 60_000
    // A report line is ~80 bytes: kill when about a third of the entries are acknowledged.
    while (size() < (total / 3) * 60 && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(child.exitCode).toBeNull()
    child.kill('SIGKILL')
    await exited
    const before = readReport(report, { afterKill: true }).length
    expect(before).toBeGreaterThan(0)
    expect(before).toBeLessThan(total)

    const resumed = await runCli([...args, '--resume', '--quiet'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/resuming: \d+ entries were acknowledged by an earlier run/)
    const lines = readReport(report)
    expect(lines).toHaveLength(total)
    expect(new Set(lines.map((l) => l.line)).size).toBe(total)
    expect(lines.every((l) => l.result === 'ok' || l.result === 'already-present')).toBe(true)

    const projectClient = createApiClient({
      server: serve.baseUrl,
      token: projectTokenValue,
      apiVersion: '2026-07',
    })
    const externalIds = Array.from({ length: total }, (_, i) => `r-x${i * 100}`)
    const stored = await projectClient.getByExternalIds('legacy', externalIds)
    expect(stored).toHaveLength(total)
    expect(new Set(stored.map((r) => r.externalId)).size).toBe(total)
    let listed = 0
    let cursor: string | null = null
    do {
      const page = await projectClient.listPage({
        limit: 1000,
        after: cursor,
        state: 'active,revoked,archived',
      })
      listed += page.entries.length
      cursor = page.cursor
    } while (cursor !== null)
    expect(listed).toBe(total)
  }, 180_000)

  it('imports CSV with a column mapping', async () => {
    const file = path.join(dir, 'legacy.csv')
    writeFileSync(
      file,
      [
        'ArticleID,Headline,Credit,URL,Key,Bytes,W,H,File,Ignored',
        'csv-1,"Harbour, at dusk",Jane,https://cdn.example.com/c/1.jpg,c/1.jpg,2048,640,480,1.jpg,x',
        'csv-2,"A ""quoted"" title",,https://cdn.example.com/c/2.jpg,c/2.jpg,4096,320,200,2.jpg,y',
        'csv-3,Bad width,Joe,https://cdn.example.com/c/3.jpg,c/3.jpg,1,wide,200,3.jpg,z',
      ].join('\r\n'),
    )
    const report = path.join(dir, 'csv-report.ndjson')
    const maps = [
      'id=ArticleID',
      'title=Headline',
      'metadata.source=Credit',
      'asset.url=URL',
      'asset.key=Key',
    ]
    const more = ['asset.size=Bytes', 'asset.width=W', 'asset.height=H', 'asset.filename=File']
    const res = await importCli([
      file,
      '--token',
      token,
      '--set',
      'mediaType=image',
      '--set',
      'asset.mimeType=image/jpeg',
      '--report',
      report,
      ...[...maps, ...more].flatMap((m) => ['--map', m]),
    ])
    expect(res.code, res.stderr).toBe(1)
    const lines = readReport(report).sort((a, b) => a.line - b.line)
    expect(lines.map((l) => l.result)).toEqual(['ok', 'ok', 'failed'])
    expect(lines[2]).toMatchObject({ line: 4, error: 'ValidationError' })
    const [one, two] = await client.getByIds(['csv-1', 'csv-2'])
    expect(one).toMatchObject({
      mediaType: 'image',
      metadata: { title: 'Harbour, at dusk', source: 'Jane' },
      asset: {
        url: 'https://cdn.example.com/c/1.jpg',
        key: 'c/1.jpg',
        size: 2048,
        width: 640,
        height: 480,
        filename: '1.jpg',
        mimeType: 'image/jpeg',
      },
    })
    expect(two?.metadata).toEqual({ title: 'A "quoted" title' })

    const unknown = await importCli([file, '--token', token, '--media-type', 'image', '--map', 'title=Nope'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/CSV has no column 'Nope'/)
  }, 120_000)

  it('reads a JSON array and a {mediaLibraryEntries} document as well as NDJSON', async () => {
    const arrayFile = path.join(dir, 'array.json')
    writeFileSync(arrayFile, JSON.stringify([entryAt(0, 'j'), entryAt(1, 'j')], null, 2))
    const res = await importCli([arrayFile, '--token', token])
    expect(res.code, res.stderr).toBe(0)
    expect(res.stdout).toMatch(/^ok\s+2$/m)
    const wrapped = path.join(dir, 'wrapped.json')
    writeFileSync(
      wrapped,
      JSON.stringify({ note: [1, 2], mediaLibraryEntries: [entryAt(2, 'j')], after: [3] }),
    )
    const res2 = await importCli([wrapped, '--token', token, '--json'])
    expect(res2.code, res2.stderr).toBe(0)
    expect(JSON.parse(res2.stdout.trim().split('\n').pop()!)).toMatchObject({ ok: 1, failed: 0 })
    expect((await client.getByIds(['j-0', 'j-1', 'j-2'])).length).toBe(3)
  }, 120_000)

  it('--dry-run reports every problem against the media types and writes nothing', async () => {
    const fresh = await projectToken('dry')
    const file = path.join(dir, 'dry.ndjson')
    writeFileSync(file, Array.from({ length: 1000 }, (_, i) => JSON.stringify(entryAt(i, 'd'))).join('\n'))
    const report = path.join(dir, 'dry-report.ndjson')
    const res = await importCli([file, '--token', fresh, '--dry-run', '--report', report])
    expect(res.code, res.stderr).toBe(1)
    const failed = readReport(report).filter((l) => l.result === 'failed')
    expect(failed.map((l) => l.line - 1)).toEqual(badLines(1000))
    // Worded exactly as the server worded the same entries' failures in the first run.
    const served = readReport(path.join(dir, 'run1.ndjson')).filter(
      (l) => l.result === 'failed' && l.line <= 1000,
    )
    const wording = (l: ReportLine) => [l.line, l.status, l.error, l.details]
    expect(failed.map(wording)).toEqual(served.sort((x, y) => x.line - y.line).map(wording))
    const dryClient = createApiClient({ server: serve.baseUrl, token: fresh, apiVersion: '2026-07' })
    expect((await dryClient.listPage({ limit: 10 })).entries).toHaveLength(0)

    const offline = await runCli([
      'import',
      file,
      '--dry-run',
      '--media-types',
      path.join(FIXTURES, 'archive.yaml'),
    ])
    expect(offline.code).toBe(1)
    expect(offline.stdout).toMatch(/^invalid\s+\d+$/m)
  }, 120_000)

  it('exits 2 on usage and connection errors', async () => {
    const noServer = await runCli(['import', input, '--token', token])
    expect(noServer.code).toBe(2)
    expect(noServer.stderr).toMatch(/--server URL and --token TOKEN are required/)
    const badBatch = await importCli([input, '--token', token, '--batch', '0'])
    expect(badBatch.code).toBe(2)
    const badToken = await importCli([input, '--token', 'ml_nope'])
    expect(badToken.code).toBe(2)
    expect(badToken.stderr).toMatch(/HTTP 401/)
    const free = createServer()
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve))
    const { port } = free.address() as AddressInfo
    await new Promise((resolve) => free.close(resolve))
    const server = `http://127.0.0.1:${port}`
    const closed = await runCli(['import', input, '--token', token, '--server', server, '--retries', '1'])
    expect(closed.code).toBe(2)
    expect(closed.stderr).toMatch(/ECONNREFUSED/)
  }, 120_000)
})
