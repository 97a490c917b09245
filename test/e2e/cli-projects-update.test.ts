import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiClient, type ApiClient } from '../../src/client/api-client.js'
import { DIALECTS } from '../helpers/dialects.js'
import { runCli, startServeCluster, type ServeCluster, type ServeProcess } from '../helpers/process.js'

const ENTRIES = 12

/** The photo media type with a title (indexed), a caption (indexed or not) and maybe a credit. */
function photoTypes(options: { captionIndexed: boolean; credit?: 'required' | 'short' }): string {
  const metadata: unknown[] = [
    { handle: 'title', type: 'li-text', config: { index: true } },
    { handle: 'caption', type: 'li-text', config: { index: options.captionIndexed } },
  ]
  if (options.credit === 'required')
    metadata.push({ handle: 'credit', type: 'li-text', config: { required: true } })
  if (options.credit === 'short')
    metadata.push({ handle: 'credit', type: 'li-text', config: { maxLength: 5 } })
  return JSON.stringify({ mediaTypes: [{ handle: 'photo', type: 'mediaImage', metadata }] })
}

function photo(i: number, metadata: Record<string, unknown>): Record<string, unknown> {
  return {
    id: `photo-${i}`,
    mediaType: 'photo',
    asset: {
      key: `mag/${i}.jpg`,
      url: `https://cdn.example.com/mag/${i}.jpg`,
      size: 1000 + i,
      width: 800,
      height: 600,
      mimeType: 'image/jpeg',
      filename: `picture-${i}.jpg`,
    },
    metadata,
  }
}

describe.each(DIALECTS)('medialib projects update (%s)', (dialect) => {
  let cluster: ServeCluster
  let dir: string
  let serve: ServeProcess
  let dbArgs: string[]
  let client: ApiClient
  const file = (name: string, text: string) => {
    const p = path.join(dir, name)
    writeFileSync(p, text)
    return p
  }
  const update = (args: string[]) => runCli(['projects', 'update', 'magazine', ...args, ...dbArgs])
  /** `tokens create` of a read and write token of the project, through the CLI. */
  const writeToken = (project: string) => cluster.cliToken(project, ['public-api:read', 'public-api:write'])
  const zebras = async () => (await client.listPage({ q: 'zebra', limit: 100 })).entries.length

  beforeAll(async () => {
    cluster = await startServeCluster(dialect)
    dbArgs = cluster.dbArgs
    serve = cluster.servers[0]!
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-update-'))
    const v1 = file('v1.json', photoTypes({ captionIndexed: false }))
    expect((await runCli(['projects', 'create', 'magazine', '--media-types', v1, ...dbArgs])).code).toBe(0)
    const token = await writeToken('magazine')
    client = createApiClient({ server: serve.baseUrl, token, apiVersion: '2026-07' })
    const items = await client.importEntries(
      Array.from({ length: ENTRIES }, (_, i) => photo(i, { title: `Alpha ${i}`, caption: `zebra ${i}` })),
    )
    expect(items.every((item) => item.ok)).toBe(true)
  })
  afterAll(async () => {
    await cluster?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('refuses types that existing entries break, listing the first ones, and changes nothing', async () => {
    expect(await zebras()).toBe(0)
    const v2 = file('v2.json', photoTypes({ captionIndexed: true, credit: 'required' }))
    const res = await update(['--media-types', v2])
    expect(res.code).toBe(1)
    const out = res.stdout.split('\n')
    expect(out[0]).toBe(
      `checked ${ENTRIES} entries of magazine: ${ENTRIES} would no longer validate against ${v2}`,
    )
    expect(out[1]).toBe('  photo-0 (photo): /credit is required')
    expect(out.filter((l) => l.startsWith('  photo-'))).toHaveLength(10)
    expect(out).toContain('  … and 2 more')
    expect(res.stderr.trim().split('\n').at(-1)).toBe(
      `medialib: not updated: ${ENTRIES} entries would no longer validate (nothing changed; --force updates anyway)`,
    )
    const photoType = (await client.mediaTypes()).find((t) => t.handle === 'photo')
    expect(photoType?.metadata.map((m) => m.handle)).toEqual(['title', 'caption'])
    expect(await zebras()).toBe(0)
  })

  it('a dry run changes nothing; the update rebuilds the search text, and the server validates by the new types', async () => {
    const v3 = file('v3.json', photoTypes({ captionIndexed: true, credit: 'short' }))
    const dry = await update(['--media-types', v3, '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout.split('\n')[0]).toBe(
      `checked ${ENTRIES} entries of magazine: 0 would no longer validate against ${v3}`,
    )
    expect(dry.stdout).toContain(
      'indexed properties change for photo: their search text is rebuilt\ndry run: nothing changed\n',
    )
    expect(await zebras()).toBe(0)

    const applied = await update(['--media-types', v3])
    expect(applied.code).toBe(0)
    expect(applied.stdout.trim().split('\n').at(-1)).toBe(
      `updated project magazine with media types image, photo; search text rebuilt for ${ENTRIES} entries`,
    )
    expect(await zebras()).toBe(ENTRIES)
    // The running server picks the new types up within its recheck interval (2 s): v1 had no credit.
    let attempt = 100
    await expect
      .poll(
        async () => {
          const [item] = await client.importEntries([photo(attempt++, { title: 'Late', credit: 'ok' })])
          return item!.ok ? 'accepted' : JSON.stringify(item)
        },
        { timeout: 10_000, interval: 500 },
      )
      .toBe('accepted')
    const [tooLong] = await client.importEntries([
      photo(attempt++, { title: 'Late', credit: 'far too long' }),
    ])
    expect(tooLong).toMatchObject({ ok: false, status: 400 })
    expect(JSON.stringify(tooLong)).toContain('credit')
  })

  it('shows progress for a large project, and rebuilds its search text', async () => {
    const large = 6_000
    const v1 = file('large-v1.json', photoTypes({ captionIndexed: false }))
    expect((await runCli(['projects', 'create', 'large', '--media-types', v1, ...dbArgs])).code).toBe(0)
    const token = await writeToken('large')
    const largeClient = createApiClient({
      server: serve.baseUrl,
      token,
      apiVersion: '2026-07',
    })
    const items = await largeClient.importEntries(
      Array.from({ length: large }, (_, i) => photo(i, { title: `Big ${i}`, caption: `okapi ${i}` })),
    )
    expect(items.filter((item) => item.ok)).toHaveLength(large)
    const v3 = file('large-v3.json', photoTypes({ captionIndexed: true }))
    const res = await runCli(['projects', 'update', 'large', '--media-types', v3, ...dbArgs])
    expect(res.code).toBe(0)
    const progress = res.stderr.split('\n').filter((l) => / of \d+ entries$/.test(l))
    expect(progress).toContain(`checked ${large} of ${large} entries`)
    expect(progress.at(-1)).toBe(`reindexed ${large} of ${large} entries`)
    expect(res.stdout.trim().split('\n').at(-1)).toBe(
      `updated project large with media types image, photo; search text rebuilt for ${large} entries`,
    )
    expect((await largeClient.listPage({ q: 'okapi 5999', limit: 10 })).entries.map((e) => e.id)).toEqual([
      'photo-5999',
    ])
  }, 120_000)

  it('--force applies types that break entries', async () => {
    const v2 = file('v2.json', photoTypes({ captionIndexed: true, credit: 'required' }))
    const res = await update(['--media-types', v2, '--force'])
    expect(res.code).toBe(0)
    expect(res.stdout.trim().split('\n').at(-1)).toBe(
      'updated project magazine with media types image, photo; search text rebuilt for 0 entries',
    )
  })
})
