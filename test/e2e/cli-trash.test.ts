import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { runCli } from '../helpers/process.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

describe.each(DIALECTS)('medialib trash and projects update --usage-purposes (%s)', (dialect) => {
  let server: TestServer
  let dbArgs: string[]
  let deleter: string
  beforeAll(async () => {
    server = await startTestServer(dialect)
    const { config, dataDir } = server.db
    dbArgs = ['--data-dir', dataDir, ...(config.databaseUrl ? ['--database', config.databaseUrl] : [])]
    deleter = await server.createToken('default', ['media-library:delete'])
  })
  afterAll(async () => {
    await server.close()
  })
  const file = (name: string, value: unknown) => {
    const p = path.join(server.db.dataDir, name)
    writeFileSync(p, JSON.stringify(value))
    return p
  }

  it('projects update --usage-purposes checks the file, then sets the purposes the PATCH validates against', async () => {
    const bad = file('bad.json', [
      { handle: 'print', label: 'Print', paramsSchema: [{ handle: 'x', type: 'li-image' }] },
    ])
    const refused = await runCli(['projects', 'update', 'default', '--usage-purposes', bad, ...dbArgs])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("usagePurposes[0].paramsSchema[0] 'x'.type must be one of li-text")
    const good = file('good.json', {
      usagePurposes: [
        { handle: 'web', label: 'Web' },
        { handle: 'print', label: 'Print', paramsSchema: [{ handle: 'pages', type: 'li-integer' }] },
      ],
    })
    const updated = await runCli(['projects', 'update', 'default', '--usage-purposes', good, ...dbArgs])
    expect(updated.stdout).toContain('updated project default with usage purposes web, print')
    expect(updated.code).toBe(0)
    const entry = imageEntry()
    await request(server, 'POST', '/api/2026-05/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: [entry] },
    })
    const patch = (params: unknown) =>
      request(server, 'PATCH', `/api/2026-05/mediaLibrary/${entry.id as string}`, {
        token: server.token,
        body: { patches: [{ operation: 'addUsageLogEntry', value: { purpose: 'print', params } }] },
      })
    expect((await patch({ pages: 'many' })).status).toBe(400)
    expect((await patch({ pages: 4 })).status).toBe(200)
  })

  it('trash list, restore and purge', async () => {
    const entries = [imageEntry(), imageEntry()]
    const ids = entries.map((e) => e.id as string)
    await request(server, 'POST', '/api/2026-05/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: entries },
    })
    for (const id of ids) {
      expect(
        (await request(server, 'DELETE', `/api/2026-05/mediaLibrary/${id}`, { token: deleter })).status,
      ).toBe(204)
    }
    const listed = await runCli(['trash', 'list', ...dbArgs])
    expect(listed.code).toBe(0)
    for (const id of ids) expect(listed.stdout).toContain(id)

    const restored = await runCli(['trash', 'restore', ids[0]!, 'no-such-id', ...dbArgs])
    expect(restored.stdout).toContain(`restored ${ids[0]}`)
    expect(restored.stderr).toContain("no-such-id: MediaLibrary Entry does not exist (id: 'no-such-id')")
    expect(restored.code).toBe(1)
    const back = await request(server, 'GET', `/api/2026-05/mediaLibrary/${ids[0]}`, { token: server.token })
    expect(back.status).toBe(200)

    // trashDays (30) has not run out: nothing is due.
    expect((await runCli(['trash', 'purge', ...dbArgs])).stdout).toContain('purged 0 entries')
    const purged = await runCli(['trash', 'purge', '--older-than-days', '0', ...dbArgs])
    expect(purged.stdout).toContain('purged 1 entries')
    expect(purged.code).toBe(0)
    expect((await runCli(['trash', 'list', ...dbArgs])).stdout).toContain('(none)')
    const reimport = await request(server, 'POST', '/api/2026-05/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: [entries[1]] },
    })
    expect((reimport.body as { results: { ok: boolean }[] }).results[0]!.ok).toBe(true)
  })
})
