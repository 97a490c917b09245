import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiClient, type EntryRecord } from '../../src/client/api-client.js'
import { DIALECTS } from '../helpers/dialects.js'
import { runCli, startServeCluster, type ServeCluster, type ServeProcess } from '../helpers/process.js'
import { request } from '../helpers/server.js'

const COUNT = 2_500

function entryAt(i: number): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    ...(i % 3 === 0 ? {} : { id: `ex-${i}` }),
    ...(i % 2 === 0 ? { systemName: 'legacy', externalId: `old-${i}` } : {}),
    mediaType: i % 5 === 0 ? 'file' : 'image',
    asset:
      i % 5 === 0
        ? {
            key: `f/${i}.pdf`,
            url: `https://cdn.example.com/f/${i}.pdf`,
            size: i,
            mimeType: 'application/pdf',
            filename: `${i}.pdf`,
          }
        : {
            filename: `${i}.jpg`,
            mimeType: 'image/jpeg',
            key: `i/${i}.jpg`,
            url: `https://cdn.example.com/i/${i}.jpg`,
            size: 1000 + i,
            width: 800 + (i % 7),
            height: 600,
          },
    metadata: { title: `Title ${i} “quoted”`, caption: i % 4 === 0 ? '' : `Caption ${i}\nsecond line` },
  }
  if (i % 10 === 1) {
    entry.translations = [{ locale: 'de', metadata: { title: `Titel ${i}` } }]
  }
  return entry
}

/** What import preserves: everything but version, timestamps and the state fields. */
function content(record: EntryRecord): Record<string, unknown> {
  const { version, createdAt, updatedAt, state, revokedAt, revokeNote, archivedAt, ...rest } = record
  void [version, createdAt, updatedAt, state, revokedAt, revokeNote, archivedAt]
  return rest
}

describe.each(DIALECTS)('medialib export (%s)', (dialect) => {
  let cluster: ServeCluster
  let dir: string
  let serve: ServeProcess
  let dbArgs: string[]
  let token: string

  beforeAll(async () => {
    cluster = await startServeCluster(dialect)
    ;({ dataDir: dir, dbArgs } = cluster)
    serve = cluster.servers[0]!
    token = serve.firstToken!
    const input = path.join(dir, 'seed.ndjson')
    writeFileSync(input, Array.from({ length: COUNT }, (_, i) => JSON.stringify(entryAt(i))).join('\n'))
    const seeded = await runCli(['import', input, '--server', serve.baseUrl, '--token', token])
    expect(seeded.code, seeded.stderr).toBe(0)
    // Entries in other states are exported too; their state is not import input.
    for (const [id, operation] of [
      ['ex-1', 'revokeAsset'],
      ['ex-2', 'archive'],
    ] as const) {
      const res = await request(serve, 'PATCH', `/api/2026-07/mediaLibrary/${id}`, {
        token,
        body: { patches: [{ operation }] },
      })
      expect(res.status).toBe(200)
    }
  }, 120_000)
  afterAll(async () => {
    await cluster?.close()
  }, 120_000)

  async function tokenFor(project: string): Promise<string> {
    expect((await runCli(['projects', 'create', project, ...dbArgs])).code).toBe(0)
    return cluster.cliToken(project, ['public-api:read', 'public-api:write'])
  }

  async function allRecords(projectToken: string): Promise<EntryRecord[]> {
    const client = createApiClient({ server: serve.baseUrl, token: projectToken, apiVersion: '2026-07' })
    const out: EntryRecord[] = []
    let cursor: string | null = null
    do {
      const page = await client.listPage({ limit: 1000, after: cursor, state: 'active,revoked,archived' })
      out.push(...page.entries)
      cursor = page.cursor
    } while (cursor !== null)
    return out.sort((a, b) => a.id.localeCompare(b.id))
  }

  it('round-trips every entry into a second project with identical records', async () => {
    const exported = await runCli([
      'export',
      '--server',
      serve.baseUrl,
      '--token',
      token,
      '--page-size',
      '300',
    ])
    expect(exported.code, exported.stderr).toBe(0)
    expect(exported.stderr).toMatch(new RegExp(`export: ${COUNT} entries`))
    const lines = exported.stdout.trim().split('\n')
    expect(lines).toHaveLength(COUNT)
    for (const line of lines) {
      const keys = Object.keys(JSON.parse(line) as object)
      expect(
        keys.every((k) =>
          ['id', 'systemName', 'externalId', 'mediaType', 'asset', 'metadata', 'translations'].includes(k),
        ),
      ).toBe(true)
    }
    const file = path.join(dir, 'export.ndjson')
    writeFileSync(file, exported.stdout)

    const copyToken = await tokenFor('copy')
    const imported = await runCli([
      'import',
      file,
      '--server',
      serve.baseUrl,
      '--token',
      copyToken,
      '--api-version',
      '2026-07',
    ])
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout).toMatch(new RegExp(`^ok\\s+${COUNT}$`, 'm'))

    const source = await allRecords(token)
    const copy = await allRecords(copyToken)
    expect(copy).toHaveLength(COUNT)
    expect(copy.map(content)).toEqual(source.map(content))
    expect(source.find((r) => r.id === 'ex-1')?.state).toBe('revoked')
    expect(copy.find((r) => r.id === 'ex-1')?.state).toBeUndefined()

    // And the copy exports to the same lines (ids are kept, so the order is the same).
    const again = await runCli([
      'export',
      '--server',
      serve.baseUrl,
      '--token',
      copyToken,
      '-o',
      path.join(dir, 'again.ndjson'),
    ])
    expect(again.code, again.stderr).toBe(0)
    const sorted = (text: string) => text.trim().split('\n').sort()
    expect(sorted(readFileSync(path.join(dir, 'again.ndjson'), 'utf8'))).toEqual(sorted(exported.stdout))
  }, 180_000)

  it('filters, and speaks the older list wrapper', async () => {
    const files = await runCli([
      'export',
      '--server',
      serve.baseUrl,
      '--token',
      token,
      '--media-type',
      'file',
      '--api-version',
      'v1',
    ])
    expect(files.code, files.stderr).toBe(0)
    const lines = files.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { mediaType: string })
    expect(lines).toHaveLength(COUNT / 5)
    expect(lines.every((e) => e.mediaType === 'file')).toBe(true)
    const active = await runCli(['export', '--server', serve.baseUrl, '--token', token, '--state', 'active'])
    expect(active.stdout.trim().split('\n')).toHaveLength(COUNT - 2)
    const bad = await runCli(['export', '--server', serve.baseUrl, '--token', token, '--state', 'gone'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/HTTP 400/)
  }, 120_000)
})
