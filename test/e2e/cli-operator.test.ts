import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { databaseTarget } from '../../src/cli/database-target.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import {
  CLI,
  cleanEnv,
  runCli,
  startServeCluster,
  type ServeCluster,
  type ServeProcess,
} from '../helpers/process.js'

/**
 * Root passes every permission check: as root, the permission tests run the CLI without the capabilities
 * that bypass file permissions (setpriv drops them from the bounding set). Still root, it reads the
 * checkout wherever it lies (a switch to `nobody` failed where the checkout's folder was mode 700).
 */
const AS_ROOT = process.getuid?.() === 0
/** The user the unprivileged runs are made as. */
const UNPRIVILEGED = userInfo().username

/** Runs the CLI as a user that cannot write `dir` (for permission errors): `dir` is made read-only. */
async function runCliUnprivileged(
  dir: string,
  args: string[],
): Promise<{ code: number | null; stderr: string }> {
  chmodSync(dir, 0o555)
  const command = [process.execPath, CLI, ...args]
  const [program, ...rest] = AS_ROOT
    ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--', ...command]
    : command
  const child = spawn(program!, rest, { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (d: string) => (stderr += d))
  const [code] = await once(child, 'close')
  chmodSync(dir, 0o755)
  return { code: code as number | null, stderr }
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '')

describe.each(DIALECTS)('admin commands and operator errors (%s)', (dialect) => {
  let cluster: ServeCluster
  let db: TestDatabase
  let dir: string
  let serve: ServeProcess
  let dbArgs: string[]
  let label: string

  beforeAll(async () => {
    cluster = await startServeCluster(dialect)
    ;({ db, dbArgs } = cluster)
    serve = cluster.servers[0]!
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-operator-'))
    chmodSync(dir, 0o755)
    label = databaseTarget(db.config).label
  })
  /** `tokens create` of a read-only token of the default project, through the CLI. */
  const readToken = () =>
    runCli(['tokens', 'create', '--project', 'default', '--scope', 'public-api:read', ...dbArgs])

  afterAll(async () => {
    await cluster?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('names the database in the first line, and its tokens work on the server using it', async () => {
    const created = await readToken()
    expect(created.code).toBe(0)
    expect(lines(created.stderr)[0]).toBe(`using ${label}`)
    if (dialect === 'sqlite') expect(label).toBe(`SQLite at ${path.join(db.dataDir, 'medialib.sqlite')}`)
    else {
      expect(label).toMatch(/^PostgreSQL at postgres@127\.0\.0\.1:5432\/medialib_test_\w+$/)
      expect(created.stderr).not.toContain(db.config.databaseUrl)
    }
    const token = created.stdout.trim()
    const res = await fetch(`${serve.baseUrl}/api/v1/mediaLibrary?ids=x`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(res.status).toBe(200)
    const listed = await runCli(['tokens', 'list', ...dbArgs])
    expect(lines(listed.stderr)[0]).toBe(`using ${label}`)
    expect(listed.stdout).toContain('first token')
  })

  it('refuses a database that does not exist unless --init, and says how to point at one', async () => {
    if (dialect === 'sqlite') {
      const empty = path.join(dir, 'elsewhere')
      const file = path.join(empty, 'medialib.sqlite')
      const refused = await runCli(['projects', 'create', 'archive-copy', '--data-dir', empty])
      expect(refused.code).toBe(1)
      expect(lines(refused.stderr)).toEqual([
        `using SQLite at ${file}`,
        `medialib: no medialib database at ${file}; pass --data-dir or set MEDIALIB_DATA_DIR (--init creates a new one there)`,
      ])
      expect(refused.stdout).toBe('')
      expect(existsSync(file)).toBe(false)
      const init = await runCli(['projects', 'create', 'archive-copy', '--data-dir', empty, '--init'])
      expect(init.code).toBe(0)
      expect(lines(init.stderr)[0]).toBe(`using SQLite at ${file}`)
      expect(init.stdout).toBe('created project archive-copy with media types image, video, file\n')
      return
    }
    const fresh = await createTestDatabase('postgres')
    try {
      const args = ['--database', fresh.config.databaseUrl!, '--data-dir', fresh.dataDir]
      const where = databaseTarget(fresh.config).label
      const refused = await runCli(['tokens', 'list', ...args])
      expect(refused.code).toBe(1)
      expect(lines(refused.stderr)).toEqual([
        `using ${where}`,
        `medialib: no medialib database at ${where}; pass --database or set MEDIALIB_DATABASE_URL (--init creates one there)`,
      ])
      const init = await runCli(['projects', 'list', ...args, '--init'])
      expect(init.code).toBe(0)
      expect(init.stdout).toBe('(none)\n')
    } finally {
      await fresh.drop()
    }
  })

  it('explains a busy port in plain words: the flag and the variable, no stack', async () => {
    const port = new URL(serve.baseUrl).port
    const second = await runCli(['serve', ...dbArgs, '--host', '127.0.0.1', '--port', port])
    expect(second.code).toBe(1)
    expect(lines(second.stderr)).toEqual([
      `using ${label}`,
      `medialib: port ${port} on 127.0.0.1 is already in use (another medialib or another program listens there).`,
      'Stop it, or choose another port: --port N or MEDIALIB_PORT=N (npm start -- --port N).',
    ])
    const debug = await runCli(['serve', ...dbArgs, '--host', '127.0.0.1', '--port', port, '--debug'])
    expect(debug.stderr).toMatch(/^\s+at /m)
  })

  it('names an unknown config key and the valid keys at its place', async () => {
    const file = path.join(dir, `config-${dialect}.json`)
    writeFileSync(file, JSON.stringify({ port: 3000, limits: { bodyByte: 1 } }))
    const res = await runCli(['projects', 'list', ...dbArgs, '--config', file])
    expect(res.code).toBe(1)
    expect(lines(res.stderr)).toEqual([
      `medialib: unknown config key 'limits.bodyByte' in ${file}; valid keys here: bodyBytes, entriesPerRequest, idsPerRequest, patchEntriesPerRequest, deleteEntriesPerRequest, countExactUpTo, requestTimeoutMs, rateLimitPerMinute, importBytesInFlight, importWaitMs, importWorkerBytes, imageTimeoutSeconds`,
    ])
  })

  it('says 415 accepts application/json, and 403 names the missing scope', async () => {
    const token = serve.firstToken!
    const form = await fetch(`${serve.baseUrl}/api/v1/import/mediaLibrary`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'mediaLibraryEntries=1',
    })
    expect(form.status).toBe(415)
    expect(await form.json()).toEqual({
      status: 415,
      error: 'Unsupported Media Type',
      error_details: {
        message:
          'Unsupported Media Type: application/x-www-form-urlencoded. Accepted: application/json (send the header Content-Type: application/json)',
      },
    })
    const readOnly = (await readToken()).stdout.trim()
    const write = await fetch(`${serve.baseUrl}/api/v1/import/mediaLibrary`, {
      method: 'POST',
      headers: { authorization: `Bearer ${readOnly}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mediaLibraryEntries: [imageEntry()] }),
    })
    expect(write.status).toBe(403)
    expect(await write.json()).toEqual({
      status: 403,
      error: 'Forbidden',
      error_details: {
        access_token: 'The request requires higher privileges',
        missing_scope: 'public-api:write',
      },
    })
  })

  it('import lists the first 10 failures with line, entry and reason, and points at --report', async () => {
    const file = path.join(dir, `archive-${dialect}.ndjson`)
    const entries = Array.from({ length: 30 }, (_, i) => {
      const entry = imageEntry({ id: `feedback-${dialect}-${i}` })
      if (i % 2 === 1) delete (entry.asset as Record<string, unknown>).width
      return JSON.stringify(entry)
    })
    writeFileSync(file, `${entries.join('\n')}\n`)
    const tokenFile = path.join(dir, `token-${dialect}`)
    writeFileSync(tokenFile, `${serve.firstToken!}\n`)
    const res = await runCli([
      'import',
      file,
      '--server',
      serve.baseUrl,
      '--token-file',
      tokenFile,
      '--quiet',
    ])
    expect(res.code).toBe(1)
    expect(res.stdout).toMatch(/^ok\s+15$/m)
    const failures = lines(res.stderr).filter((l) => l.startsWith('line ') || l.startsWith('…'))
    expect(failures[0]).toBe(
      `line 2 (id: feedback-${dialect}-1): ValidationError: Invalid entry: '/asset/width' is required`,
    )
    expect(failures).toHaveLength(11)
    expect(failures[9]).toMatch(/^line 20 \(id: feedback-\w+-19\): ValidationError: /)
    expect(failures[10]).toBe('… and 5 more; --report FILE lists all')
  })

  it('import stops at once on 401 and 403 with what is wrong with the token', async () => {
    const file = path.join(dir, `one-${dialect}.ndjson`)
    writeFileSync(file, `${JSON.stringify(imageEntry())}\n`)
    const readOnly = (await readToken()).stdout.trim()
    const forbidden = await runCli(['import', file, '--server', serve.baseUrl, '--quiet'], {
      MEDIALIB_TOKEN: readOnly,
    })
    expect(forbidden.code).toBe(2)
    expect(lines(forbidden.stderr).at(-1)).toBe(
      'medialib import stopped: the token lacks the scope public-api:write (HTTP 403: Forbidden {"access_token":"The request requires higher privileges","missing_scope":"public-api:write"}). Create one with: medialib tokens create --data-dir DIR --project P --scope public-api:write --scope public-api:read',
    )
    const unknown = await runCli(['import', file, '--server', serve.baseUrl, '--token', 'ml_nope', '--quiet'])
    expect(unknown.code).toBe(2)
    expect(lines(unknown.stderr).at(-1)).toBe(
      'medialib import stopped: the server refused the token (HTTP 401: Unauthorized {"access_token":"The access token is invalid."}). Pass a valid token of the target project with --token, --token-file FILE or MEDIALIB_TOKEN.',
    )
  })

  it('import says what it waits for while it retries', async () => {
    const file = path.join(dir, `retry-${dialect}.ndjson`)
    writeFileSync(file, `${JSON.stringify(imageEntry())}\n`)
    const closed = 'http://127.0.0.1:9'
    const res = await runCli([
      'import',
      file,
      '--server',
      closed,
      '--token',
      'ml_x',
      '--retries',
      '2',
      '--quiet',
    ])
    expect(res.code).toBe(2)
    const waits = lines(res.stderr).filter((l) => l.includes('waiting'))
    expect(waits).toHaveLength(2)
    expect(waits[0]).toMatch(
      /^waiting \d+ ms for http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\), then retry 1 of 2$/,
    )
  })
})

describe('operator errors of the data directory (SQLite: the data directory holds the database)', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-operator-fs-'))
    chmodSync(dir, 0o755)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('a data directory that is a file', async () => {
    const file = path.join(dir, 'a-file')
    writeFileSync(file, 'not a directory')
    const res = await runCli(['projects', 'list', '--data-dir', file, '--init'])
    expect(res.code).toBe(1)
    expect(lines(res.stderr)).toEqual([
      `using SQLite at ${path.join(file, 'medialib.sqlite')}`,
      `medialib: ${file} is not a directory (a file is in the way).`,
      'Move the file away, or pass --data-dir (or set MEDIALIB_DATA_DIR) to a directory.',
    ])
  })

  it('a data directory the user cannot create', async () => {
    const locked = path.join(dir, 'locked')
    mkdirSync(locked, { mode: 0o755 })
    const target = path.join(locked, 'data')
    const res = await runCliUnprivileged(locked, ['projects', 'list', '--data-dir', target, '--init'])
    expect(res.code).toBe(1)
    expect(lines(res.stderr).slice(1)).toEqual([
      `medialib: permission denied: user ${UNPRIVILEGED} cannot create ${target}.`,
      'Give that user write access to it, or pass --data-dir (or set MEDIALIB_DATA_DIR) to a directory it can write.',
    ])
    expect(res.stderr).not.toMatch(/^\s+at /m)
  })

  it('a database file that is not a database', async () => {
    const dataDir = path.join(dir, 'not-a-db')
    mkdirSync(dataDir)
    const file = path.join(dataDir, 'medialib.sqlite')
    writeFileSync(file, 'x'.repeat(4096))
    const res = await runCli(['projects', 'list', '--data-dir', dataDir])
    expect(res.code).toBe(1)
    expect(lines(res.stderr)).toEqual([
      `using SQLite at ${file}`,
      `medialib: cannot open the database ${file}: it is not a SQLite database.`,
      `Check that user ${userInfo().username} can read and write the file and its directory (SQLite writes ${file}-wal and -shm beside it).`,
    ])
  })

  it('a read-only data directory: the database file is named', async () => {
    const readOnly = path.join(dir, 'read-only')
    mkdirSync(readOnly, { mode: 0o755 })
    const file = path.join(readOnly, 'medialib.sqlite')
    const res = await runCliUnprivileged(readOnly, ['projects', 'list', '--data-dir', readOnly, '--init'])
    expect(res.code).toBe(1)
    expect(lines(res.stderr).slice(1)).toEqual([
      `medialib: cannot open the database ${file}: unable to open database file.`,
      `Check that user ${UNPRIVILEGED} can read and write the file and its directory (SQLite writes ${file}-wal and -shm beside it).`,
    ])
  })
})
