import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { createDeps, type Deps } from '../../src/deps.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { injectFetch, request, type TestFetch } from '../helpers/server.js'

/** The document names an operation's scope in `x-scopes` (OpenAPI keeps bearer requirements scope-less). */
type Operation = { security?: { bearerAuth?: string[] }[]; 'x-scopes'?: string[] }
type Route = { method: string; path: string; scope: string }

/** A request body that passes each write route's schema, so that auth and ownership decide the answer. */
function bodyFor(route: Route): unknown {
  if (route.path.endsWith('/import/mediaLibrary')) return { mediaLibraryEntries: [] }
  if (route.method === 'PATCH') {
    return { patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'matrix' }] }
  }
  if (/\/import\/(images|videos|files)$/.test(route.path)) return { systemName: 'matrix' }
  return undefined
}

describe.each(DIALECTS)('auth matrix over every documented route (%s)', (dialect) => {
  let db: TestDatabase
  let deps: Deps
  let app: FastifyInstance
  let client: { fetch: TestFetch }
  const logs: string[] = []
  const tokens: Record<string, string> = {}
  let routes: Route[] = []

  beforeAll(async () => {
    db = await createTestDatabase(dialect)
    deps = await createDeps(db.config, { warn: () => undefined })
    await deps.projects.ensure('default')
    await deps.projects.create('other')
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString())
        done()
      },
    })
    app = await buildApp(deps, { logger: pino({ level: 'trace' }, sink) })
    client = { fetch: injectFetch(app) }
    const make = async (project: string, scopes: string[]) =>
      (await deps.tokens.create({ project, scopes })).token
    tokens.both = await make('default', ['public-api:read', 'public-api:write', 'media-library:delete'])
    tokens.read = await make('default', ['public-api:read'])
    tokens.write = await make('default', ['public-api:write'])
    tokens.other = await make('other', ['public-api:read', 'public-api:write', 'media-library:delete'])
    tokens.revoked = await make('default', ['public-api:read', 'public-api:write'])
    await deps.tokens.revoke(tokens.revoked.split('_')[1]!)
    const imported = await request(client, 'POST', '/api/v1/import/mediaLibrary', {
      token: tokens.both,
      body: {
        mediaLibraryEntries: [
          imageEntry({
            id: 'owned-entry',
            asset: { ...(imageEntry().asset as object), key: 'owned/key.jpg' },
          }),
        ],
      },
    })
    expect(imported.status).toBe(200)

    const doc = (await request(client, 'GET', '/api/openapi.json')).body as {
      paths: Record<string, Record<string, Operation>>
    }
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security?.[0]?.bearerAuth !== undefined && op['x-scopes']?.[0])
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          scope: op['x-scopes']![0]!,
        })),
    )
  })
  afterAll(async () => {
    await app.close()
    await deps.close()
    await db.drop()
  })

  const urlOf = (route: Route) =>
    route.path
      .replace('{apiVersion}', '2026-07')
      .replace('{id}', 'owned-entry')
      .replace('{key}', 'owned/key.jpg')
      .replace(/\{[^}]+\}/g, 'x') +
    (route.path.endsWith('/mediaLibrary')
      ? '?ids=owned-entry'
      : route.path.endsWith('/status')
        ? '?id=none'
        : '')

  const call = (route: Route, token?: string, headers: Record<string, string> = {}) =>
    request(client, route.method, urlOf(route), { token, body: bodyFor(route), headers })

  it('finds the documented routes', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`)
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /api/{apiVersion}/import/mediaLibrary',
        'GET /api/{apiVersion}/mediaLibrary/{id}',
        'GET /api/{apiVersion}/mediaLibrary',
      ]),
    )
  })

  it('refuses missing, malformed, unknown and revoked tokens with 401 on every route', async () => {
    for (const route of routes) {
      const label = `${route.method} ${route.path}`
      const cases: [string, Awaited<ReturnType<typeof call>>][] = [
        ['none', await call(route)],
        ['scheme only', await call(route, undefined, { authorization: 'Bearer' })],
        ['basic', await call(route, undefined, { authorization: 'Basic YTpi' })],
        ['garbage', await call(route, 'ml_nope_nope')],
        ['forged secret', await call(route, tokens.both!.slice(0, -3) + 'xyz')],
        ['revoked', await call(route, tokens.revoked)],
      ]
      for (const [name, res] of cases) {
        expect({ label, name, status: res.status, error: (res.body as { error?: string }).error }).toEqual({
          label,
          name,
          status: 401,
          error: 'Unauthorized',
        })
      }
    }
  })

  it('refuses a token without the route scope with 403 on every route', async () => {
    for (const route of routes) {
      // Write does not imply media-library:delete: the read token lacks both.
      const token = route.scope === 'public-api:read' ? tokens.write : tokens.read
      const res = await call(route, token)
      expect({ route: `${route.method} ${route.path}`, status: res.status }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 403,
      })
    }
  })

  it("answers 404, never 403, to another project's token on id-addressed routes", async () => {
    const addressed = routes.filter((r) => /\{(id|key)\}/.test(r.path))
    expect(addressed.length).toBeGreaterThan(0)
    for (const route of addressed) {
      const res = await call(route, tokens.other)
      expect({ route: `${route.method} ${route.path}`, status: res.status }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 404,
      })
    }
    const own = await request(client, 'GET', '/api/v1/mediaLibrary/owned-entry', { token: tokens.both })
    expect(own.status).toBe(200)
  })

  it('never writes a token or its secret to the logs', () => {
    const text = logs.join('')
    expect(text.length).toBeGreaterThan(1000)
    expect(text).toContain('"url":"/api/')
    for (const token of Object.values(tokens)) {
      expect(text).not.toContain(token)
      expect(text).not.toContain(token.split('_').slice(2).join('_'))
    }
  })
})
