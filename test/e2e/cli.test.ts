import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, DIALECTS } from '../helpers/dialects.js'
import { imageEntry, SEED_REQUEST } from '../helpers/fixtures.js'
import { runCli, startServeCluster, type ServeCluster, type ServeProcess } from '../helpers/process.js'
import { request } from '../helpers/server.js'
import { TOKEN_CACHE_MS } from '../../src/projects/token.service.js'

const FIXTURES = path.resolve('test/fixtures/media-types')

describe.each(DIALECTS)('the medialib CLI against a running server process (%s)', (dialect) => {
  let cluster: ServeCluster
  let serve: ServeProcess
  let dbArgs: string[]

  beforeAll(async () => {
    cluster = await startServeCluster(dialect, { env: { MEDIALIB_LOG_LEVEL: 'info' } })
    dbArgs = cluster.dbArgs
    serve = cluster.servers[0]!
  })
  afterAll(async () => {
    await cluster?.close()
  })

  it('creates the default project and a first token, printed once and never logged', async () => {
    expect(serve.firstToken).toMatch(/^ml_/)
    const token = serve.firstToken!
    const res = await request(serve, 'POST', '/api/v1/import/mediaLibrary', { token, body: SEED_REQUEST })
    expect(res.status).toBe(200)
    expect((res.body as { mediaLibraryEntries: { ok: boolean }[] }).mediaLibraryEntries[0]!.ok).toBe(true)
    const logLines = serve
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
    expect(logLines.length).toBeGreaterThan(0)
    expect(logLines.some((l) => l.includes('medialib listening on'))).toBe(true)
    for (const line of logLines) expect(line).not.toContain(token)
    const lists = await runCli(['projects', 'list', ...dbArgs])
    expect(lists.code).toBe(0)
    expect(lists.stdout).toMatch(/^default\s+image\(mediaImage\) video\(mediaVideo\) file\(mediaFile\)/m)
  })

  it('refuses a bad media types file with every problem named, and creates nothing', async () => {
    const res = await runCli([
      'projects',
      'create',
      'broken',
      '--media-types',
      path.join(FIXTURES, 'bad.yaml'),
      ...dbArgs,
    ])
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('Invalid media types')
    expect(res.stderr).toContain('mediaTypes[0].handle must match')
    expect(res.stderr).toContain('type must be one of mediaImage, mediaVideo, mediaFile')
    expect(res.stderr).toContain('metadata[0].handle must match')
    expect(res.stderr).toContain("'category' uses the unsupported plugin 'li-category'")
    expect((await runCli(['projects', 'list', ...dbArgs])).stdout).not.toContain('broken')
  })

  it('creates a project and tokens that the running server accepts at once, and revokes them within the token cache bound', async () => {
    const created = await runCli([
      'projects',
      'create',
      'archive',
      '--media-types',
      path.join(FIXTURES, 'archive.yaml'),
      ...dbArgs,
    ])
    expect(created.code).toBe(0)
    expect(created.stdout).toContain('created project archive with media types image, photo, document')

    const tokenRun = await runCli([
      'tokens',
      'create',
      '--project',
      'archive',
      '--scope',
      'public-api:read',
      '--scope',
      'public-api:write',
      '--name',
      'migration',
      ...dbArgs,
    ])
    expect(tokenRun.code).toBe(0)
    expect(tokenRun.stdout).toMatch(/^ml_[A-Za-z0-9]+_[A-Za-z0-9_-]{43}\n$/)
    const token = tokenRun.stdout.trim()

    const body = {
      mediaLibraryEntries: [
        imageEntry({ id: 'photo-1', mediaType: 'photo', metadata: { title: 'Harbour', rights: 'free' } }),
        imageEntry({ id: 'photo-2', mediaType: 'photo', metadata: { rights: 'stolen' } }),
      ],
    }
    const res = await request(serve, 'POST', '/api/v1/import/mediaLibrary', { token, body })
    expect(res.status).toBe(200)
    const [ok, failed] = (res.body as { mediaLibraryEntries: Record<string, unknown>[] }).mediaLibraryEntries
    expect(ok).toMatchObject({ ok: true, id: 'photo-1', record: { mediaType: 'photo' } })
    expect(failed).toEqual({
      ok: false,
      correlation: 'id: photo-2',
      status: 400,
      error: 'MetadataValidationErrors',
      error_details: {
        message: 'Metadata validation failed.',
        invalidMetadata: [
          { metadataProperty: 'title', message: 'A photo needs a title' },
          {
            metadataProperty: 'rights',
            message: `The value of '/rights' should be one of: "free", "licensed"`,
          },
        ],
      },
    })

    const listed = await runCli(['tokens', 'list', '--project', 'archive', ...dbArgs])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain('migration')
    expect(listed.stdout).not.toContain(token.split('_').slice(2).join('_'))
    const id = token.split('_')[1]!
    expect(listed.stdout).toContain(id)

    const revoked = await runCli(['tokens', 'revoke', id, ...dbArgs])
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked token ${id}\n` })
    // Another process (this CLI) revoked it: the server refuses it once its cached row is older than
    // TOKEN_CACHE_MS (2 s; test/e2e/token-cache.test.ts holds the bound itself).
    const revokedAt = Date.now()
    await expect
      .poll(async () => (await request(serve, 'GET', '/api/v1/mediaLibrary/photo-1', { token })).status, {
        timeout: 5_000,
        interval: 100,
      })
      .toBe(401)
    expect(Date.now() - revokedAt).toBeLessThan(TOKEN_CACHE_MS + 2_000)
    const again = await runCli(['tokens', 'revoke', id, ...dbArgs])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`No active token with id '${id}'`)
  }, 90_000) // six CLI processes (Node.js start, migrations check): 22-28 s at load 10

  it('migrates a fresh database on its own, once', async () => {
    const fresh = await createTestDatabase(dialect)
    try {
      const args = [
        '--data-dir',
        fresh.dataDir,
        ...(fresh.config.databaseUrl ? ['--database', fresh.config.databaseUrl] : []),
      ]
      const first = await runCli(['migrate', ...args])
      expect(first.code).toBe(0)
      expect(first.stdout).toMatch(/^applied: 0001-initial/)
      const second = await runCli(['migrate', ...args])
      expect(second.code).toBe(0)
      expect(second.stdout).toMatch(/ is up to date\n$/)
    } finally {
      await fresh.drop()
    }
  })

  it('rejects unknown scopes and projects', async () => {
    const scope = await runCli(['tokens', 'create', '--project', 'default', '--scope', 'admin', ...dbArgs])
    expect(scope.code).toBe(1)
    expect(scope.stderr).toContain("Unknown scope 'admin'")
    const project = await runCli([
      'tokens',
      'create',
      '--project',
      'nope',
      '--scope',
      'public-api:read',
      ...dbArgs,
    ])
    expect(project.code).toBe(1)
    expect(project.stderr).toContain("No project 'nope'")
  })

  it('shuts down gracefully on SIGTERM and keeps the data over a restart, without a new first token', async () => {
    const token = serve.firstToken!
    expect(await serve.stop('SIGTERM')).toBe(0)
    serve = await cluster.serve({})
    expect(serve.firstToken).toBeUndefined()
    const res = await request(serve, 'GET', '/api/v1/mediaLibrary/custom-1', { token })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: 'custom-1', metadata: { title: 'Custom title' } })
    expect(await serve.stop('SIGINT')).toBe(0)
  })
})
