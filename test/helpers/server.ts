import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { injectFetch, type TestFetch } from './inject.js'
import { afterAll, beforeAll } from 'vitest'
import { DEFAULT_CONFIG, type Config } from '../../src/config.js'
import { createDeps, type Deps } from '../../src/deps.js'
import { DEFAULT_PROJECT } from '../../src/projects/project.service.js'
import { createTestDatabase, type DialectName, type TestDatabase } from './dialects.js'
import {
  checkResponse,
  documentCheckerOf,
  installResponseCheck,
  reportStats,
  type CheckStats,
  type DocumentChecker,
} from './openapi.js'

const quiet = { warn: () => undefined }

export { injectFetch, type TestFetch } from './inject.js'

/**
 * The app over a fresh database, and helpers to talk to it. By default it does not listen: `fetch` and
 * `request` reach it through `app.inject()` (no port, no socket). With `{ listen: true }` it is a real server
 * on 127.0.0.1 (random port) at `baseUrl`, for tests whose point is a socket or another client (limits,
 * browsers, SDKs, child processes).
 */
export interface TestServer {
  /** Only for a listening server (`{ listen: true }`); throws otherwise. */
  baseUrl: string
  /** `fetch` for this server, with a path (`/api/v1/…`): through inject, or real HTTP when it listens. */
  fetch: TestFetch
  deps: Deps
  app: FastifyInstance
  db: TestDatabase
  /** A token of the default project with both scopes. */
  token: string
  /** Creates a token; the project is created first when missing. */
  createToken(project: string, scopes: string[]): Promise<string>
  /** Stops the server and closes the database, keeping its data. */
  stop(): Promise<void>
  /** Starts a new server process-equivalent on the same database. */
  restart(): Promise<void>
  /** Stops the server and drops the database. */
  close(): Promise<void>
  /** The check of every response against the served OpenAPI document (test/helpers/openapi.ts). */
  responseCheck: ReturnType<typeof installResponseCheck>
}

/** The services over a fresh database, with the default project, and no HTTP server. */
export async function openTestDeps(
  dialect: DialectName,
): Promise<{ db: TestDatabase; deps: Deps; close(): Promise<void> }> {
  const db = await createTestDatabase(dialect)
  const deps = await createDeps(db.config, quiet)
  await deps.projects.ensure(DEFAULT_PROJECT)
  return {
    db,
    deps,
    async close() {
      await deps.close()
      await db.drop()
    },
  }
}

export interface TestServerOptions {
  /** Listen on a real port of 127.0.0.1 instead of answering through `app.inject()`. */
  listen?: boolean
}

export async function startTestServer(
  dialect: DialectName,
  overrides: Partial<Config> = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  const db = await createTestDatabase(dialect, overrides)
  const server = {} as TestServer
  let address: string | undefined
  const start = async () => {
    const deps = await createDeps(db.config, quiet)
    await deps.projects.ensure(DEFAULT_PROJECT)
    const app = await buildApp(deps)
    const check = installResponseCheck(app)
    if (options.listen) address = await app.listen({ host: '127.0.0.1', port: 0 })
    else await app.ready()
    Object.assign(server, { deps, app, responseCheck: check })
  }
  await start()
  Object.defineProperty(server, 'baseUrl', {
    get() {
      if (address === undefined) {
        throw new Error(
          'this test server does not listen: use server.fetch, or start it with { listen: true }',
        )
      }
      return address
    },
  })
  // The current app (a restart builds a new one) through inject, or the listening server by HTTP.
  const fetchOf = (): TestFetch =>
    address === undefined
      ? injectFetch(server.app)
      : (input, init) => fetch(new URL(String(input), address), init)
  Object.assign(server, {
    fetch: ((input, init) => fetchOf()(input, init)) satisfies TestFetch,
    db,
    async createToken(project: string, scopes: string[]) {
      if (!(await server.deps.projects.get(project))) await server.deps.projects.create(project)
      return (await server.deps.tokens.create({ project, scopes })).token
    },
    async stop() {
      await server.app.close()
      await server.deps.close()
      // Every response this server gave must be one the OpenAPI document allows.
      server.responseCheck.finish()
    },
    async restart() {
      await start()
    },
    async close() {
      try {
        await server.stop()
      } finally {
        await db.drop()
      }
    },
  })
  server.token = await server.createToken(DEFAULT_PROJECT, ['public-api:read', 'public-api:write'])
  return server
}

export interface JsonResponse {
  status: number
  body: unknown
  headers: Headers
}

const checkers = new Map<string | TestFetch, Promise<DocumentChecker | undefined>>()
const clientStats: CheckStats = { checked: 0, skipped: 0, violations: [] }
// Registered on the suite of each test file that imports this module (vitest runs each file's modules anew).
afterAll(() => {
  if (clientStats.checked > 0) reportStats({ ...clientStats, side: 'client' })
})

async function checkOnClient(
  target: string | TestFetch,
  send: TestFetch,
  method: string,
  url: string,
  res: Response,
  text: string,
) {
  let checker = checkers.get(target)
  if (!checker) {
    // A server that cannot give its document (stopped, crashing on purpose) is not checked.
    checker = documentCheckerOf(send).catch(() => undefined)
    checkers.set(target, checker)
  }
  const ready = await checker
  if (!ready) return
  const problems = checkResponse(ready, method, new URL(url, 'http://localhost').href, res, text)
  clientStats.checked++
  clientStats.violations.push(...problems)
  if (problems.length > 0) {
    throw new Error(`a response that the OpenAPI document does not allow:\n  ${problems.join('\n  ')}`)
  }
}

/**
 * A request with a JSON body (or raw string body), parsed JSON back: through the server's `fetch` when it has
 * one (a TestServer: inject, or HTTP when it listens), else by HTTP to `baseUrl` (a server process).
 */
export async function request(
  server: { baseUrl: string } | { fetch: TestFetch },
  method: string,
  url: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  let body: string | undefined
  if (options.rawBody !== undefined) body = options.rawBody
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json; charset=utf-8'
  }
  const target = 'fetch' in server ? server.fetch : server.baseUrl
  const send: TestFetch =
    typeof target === 'string' ? (input, init) => fetch(`${target}${String(input)}`, init) : target
  const res = await send(url, { method, headers, body })
  const text = await res.text()
  // A server in another process (or an app without the hook) is checked here, on the client side; a
  // TestServer by its hook.
  if (!('app' in server)) await checkOnClient(target, send, method, url, res, text)
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers }
}

/**
 * `openTestDeps` before the tests of the enclosing `describe`, closed after them. Returns a getter, since the
 * services exist only once `beforeAll` ran.
 */
export function useTestDeps(dialect: DialectName): () => Deps {
  let opened: Awaited<ReturnType<typeof openTestDeps>> | undefined
  beforeAll(async () => {
    opened = await openTestDeps(dialect)
  })
  afterAll(async () => opened?.close())
  return () => {
    if (!opened) throw new Error('the test services are not open yet')
    return opened.deps
  }
}

/** A URL-import worker's fetcher for tests whose items are not downloaded and whose jobs have no webhook. */
export const inertFetcher = {
  checkUrl: () => undefined,
  downloadToFile: () => Promise.reject(new Error('nothing is downloaded in this test')),
  post: () => Promise.reject(new Error('no webhook in this test')),
}

/**
 * Starts a test server before the tests of the enclosing `describe` and closes it after them.
 * Returns a getter, since the server exists only once `beforeAll` ran.
 */
export function useTestServer(
  dialect: DialectName,
  limits: Partial<Config['limits']> = {},
  options: TestServerOptions = {},
): () => TestServer {
  let server: TestServer | undefined
  beforeAll(async () => {
    server = await startTestServer(dialect, { limits: { ...DEFAULT_CONFIG.limits, ...limits } }, options)
  })
  afterAll(async () => {
    await server?.close()
  })
  return () => {
    if (!server) throw new Error('the test server is not started yet')
    return server
  }
}
