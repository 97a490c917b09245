import fastifyStatic from '@fastify/static'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Type } from 'typebox'
import { MAX_PAGE_SIZE } from '../../media/library.service.js'
import type { Config } from '../../config.js'
import { ForbiddenError } from '../../errors.js'
import type { LibraryService } from '../../media/library.service.js'
import type { ProjectService } from '../../projects/project.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { principalOf, requireScope, UI_COOKIE, UI_WRITE_HEADER } from '../auth.js'
import { ErrorEnvelope } from '../schemas/common.js'
import type { RoutePlugin } from '../type-provider.js'

export interface UiRoutesDeps {
  config: Config
  tokens: TokenService
  projects: ProjectService
  library: LibraryService
}

/** Paths the single-page app routes itself; the server answers them with `ui/index.html`. */
export const UI_CLIENT_ROUTES = ['/', '/entries/:id', '/imports', '/trash', '/login']

const SESSION_SECONDS = 8 * 60 * 60

/**
 * The built UI (`npm run build` → `dist/ui`, see scripts/build-ui.mjs): next to `dist/src` when run
 * built, or under the project's `dist/` when run from source (tests).
 */
function findUiRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  for (const dir of [path.resolve(here, '../../../ui'), path.resolve(here, '../../../dist/ui')]) {
    if (existsSync(path.join(dir, 'index.html')) && path.basename(path.dirname(dir)) === 'dist') return dir
  }
  throw new Error(`the built UI (dist/ui/index.html) is missing above ${here}: run npm run build`)
}

/** Bundles and stylesheets carry a content hash in their names (app-<hash>.js): cacheable for good. */
const HASHED = /-[A-Za-z0-9_-]{8,}\.(?:js|css)(?:\.map)?$/

/** The page's Content-Security-Policy: only our own origin, and no inline script or style. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
].join('; ')

/**
 * The page as served: with all its preloads on the library page without filters (`GET /`), and without
 * the library's first-page preload (`data-route="/"`) elsewhere, where the app would not use it.
 */
function pageVariants(page: string): { library: string; other: string } {
  return { library: page, other: page.replace(/\n\s*<link rel="preload"[^>]*data-route="\/"[^>]*>/g, '') }
}

function secureRequest(request: FastifyRequest, config: Config): boolean {
  if ((request.raw.socket as { encrypted?: boolean }).encrypted) return true
  return config.ui.trustForwardedProto && request.headers['x-forwarded-proto'] === 'https'
}

function sessionCookie(value: string, maxAge: number, secure: boolean): string {
  const parts = [`${UI_COOKIE}=${value}`, 'HttpOnly', 'SameSite=Strict', 'Path=/', `Max-Age=${maxAge}`]
  if (secure) parts.push('Secure')
  return parts.join('; ')
}

/** Login and logout must come from our page: a cross-site form can neither send JSON nor this header. */
function requireUiHeader(request: FastifyRequest): void {
  if (request.headers[UI_WRITE_HEADER] !== '1') {
    throw new ForbiddenError(`This request must send '${UI_WRITE_HEADER}: 1'`)
  }
}

/**
 * The browser UI: its built static files at `/` (one bundle, one stylesheet), and the session
 * routes `POST /ui/login`, `POST /ui/logout`, `GET /ui/session`. Unknown `/api/...` paths still reach
 * the API's JSON 404, since static files are registered one route per file (no wildcard).
 */
export function uiRoutes(deps: UiRoutesDeps): RoutePlugin {
  const { config, tokens, projects, library } = deps
  return async (app) => {
    const root = findUiRoot()
    const csp = CONTENT_SECURITY_POLICY
    const pageHeaders = (reply: FastifyReply) =>
      reply
        .header('content-security-policy', csp)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'same-origin')
        .header('x-frame-options', 'DENY')

    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      index: false,
      // The page is answered by the client routes below (with or without its first-page preload).
      allowedPath: (pathname) => pathname !== '/index.html',
      cacheControl: false,
      setHeaders: (res, file) => {
        res.setHeader('x-content-type-options', 'nosniff')
        res.setHeader('content-security-policy', csp)
        res.setHeader(
          'cache-control',
          HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate',
        )
      },
    })
    const pages = pageVariants(readFileSync(path.join(root, 'index.html'), 'utf8'))
    for (const url of UI_CLIENT_ROUTES) {
      app.get(url, { schema: { hide: true } }, async (request, reply) =>
        pageHeaders(reply)
          .header('cache-control', 'no-cache')
          .type('text/html; charset=utf-8')
          .send(request.url === '/' ? pages.library : pages.other),
      )
    }

    app.post(
      '/ui/login',
      {
        schema: {
          hide: true,
          body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 500 }) }),
          response: { 401: ErrorEnvelope, 403: ErrorEnvelope },
        },
      },
      async (request, reply) => {
        requireUiHeader(request)
        const { token } = request.body
        const principal = await tokens.authenticate(token.trim())
        reply.header(
          'set-cookie',
          sessionCookie(token.trim(), SESSION_SECONDS, secureRequest(request, config)),
        )
        return { project: principal.project, scopes: [...principal.scopes] }
      },
    )

    app.post('/ui/logout', { schema: { hide: true } }, async (request, reply) => {
      requireUiHeader(request)
      reply.header('set-cookie', sessionCookie('', 0, secureRequest(request, config)))
      return { status: 200 }
    })

    app.get(
      '/ui/entries/:id/facts',
      {
        onRequest: requireScope(tokens, 'public-api:read'),
        schema: { hide: true, params: Type.Object({ id: Type.String() }) },
      },
      async (request) => {
        const { project } = principalOf(request)
        const { id } = request.params
        return library.facts(project, id)
      },
    )

    app.get(
      '/ui/session',
      { onRequest: requireScope(tokens, 'public-api:read'), schema: { hide: true } },
      async (request, reply) => {
        const { project, scopes } = principalOf(request)
        const mediaTypes = [...(await projects.mediaTypesOf(project)).values()].map((t) => t.config)
        // The entry page's usage-log form offers the project's purposes (issue #16).
        const usagePurposes = [...(await projects.usagePurposesOf(project)).values()].map((p) => p.purpose)
        reply.header('cache-control', 'no-store')
        // The batch actions size their requests by these (issue #19): a server set lower than the defaults
        // would otherwise refuse whole chunks.
        const limits = {
          patchEntriesPerRequest: config.limits.patchEntriesPerRequest,
          deleteEntriesPerRequest: config.limits.deleteEntriesPerRequest,
          searchPageMax: MAX_PAGE_SIZE,
        }
        return { project, scopes: [...scopes], mediaTypes, usagePurposes, limits }
      },
    )
  }
}
