import type { FastifyInstance, InjectOptions } from 'fastify'

/** `fetch`'s signature, for a test server: the input is a path (`/api/v1/…`) or a URL whose path is used. */
export type TestFetch = (input: string | URL, init?: RequestInit) => Promise<Response>

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])
const REDIRECTS = new Set([301, 302, 303, 307, 308])
/** As fetch: at most this many redirects are followed. */
const MAX_REDIRECTS = 20

/**
 * A fetch-compatible function over `app.inject()`: the request goes through Fastify's whole pipeline (hooks,
 * schemas, serializers, the OpenAPI response check of test/helpers/openapi.ts) without a socket. The request
 * is normalised by a real `Request` (so every body type fetch takes, and the content type it implies, work
 * the same), the answer is a real `Response`, and redirects are followed as fetch follows them unless
 * `redirect: 'manual'`.
 */
export function injectFetch(app: FastifyInstance): TestFetch {
  return async function injected(input, init = {}) {
    const first = new Request(new URL(String(input), 'http://localhost'), init)
    let url = new URL(first.url)
    let method = first.method
    let headers: Headers = first.headers
    let payload = first.body ? Buffer.from(await first.arrayBuffer()) : undefined
    for (let redirects = 0; ; redirects++) {
      const res = await app.inject({
        method: method as InjectOptions['method'],
        url: url.pathname + url.search,
        headers: Object.fromEntries(headers),
        ...(payload ? { payload } : {}),
      })
      const answer = new Headers()
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined) continue
        for (const v of Array.isArray(value) ? value : [value]) answer.append(name, String(v))
      }
      const location = answer.get('location')
      if (REDIRECTS.has(res.statusCode) && location && (init.redirect ?? 'follow') === 'follow') {
        if (redirects >= MAX_REDIRECTS) throw new TypeError('fetch failed: too many redirects')
        const next = new URL(location, url)
        if (next.origin !== url.origin)
          throw new Error(`inject cannot follow a redirect off the app: ${next.href}`)
        // As fetch: 303, and 301/302 after a POST, continue as a GET without a body.
        if (
          res.statusCode === 303 ||
          ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')
        ) {
          method = 'GET'
          headers = withoutBodyHeaders(headers)
          payload = undefined
        }
        url = next
        continue
      }
      const empty = NULL_BODY_STATUSES.has(res.statusCode) || method === 'HEAD'
      return new Response(empty ? null : res.rawPayload, {
        status: res.statusCode,
        statusText: res.statusMessage,
        headers: answer,
      })
    }
  }
}

function withoutBodyHeaders(headers: Headers): Headers {
  const out = new Headers(headers)
  for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language'])
    out.delete(name)
  return out
}
