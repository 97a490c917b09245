import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { rate, runsFrom, scaledTimeout } from '../helpers/long-runs.js'
import { request, useTestServer, type TestServer } from '../helpers/server.js'

/** Bodies (and queries) per dialect; MEDIALIB_FUZZ_RUNS raises it locally (npm run test:long). */
const RUNS = runsFrom('MEDIALIB_FUZZ_RUNS', 300)

const weird = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('', '\u0000', '\ud800', 'x'.repeat(300), '1', '-1', '9'.repeat(30), 'NaN'),
  fc.jsonValue({ maxDepth: 3 }),
)

const operation = fc.oneof(
  fc.record({
    operation: fc.constant('setMetadataProperty'),
    propertyName: fc.oneof(
      fc.constantFrom('title', 'caption', 'source', 'nope'),
      fc.string({ maxLength: 8 }),
    ),
    value: weird,
  }),
  fc.record({
    operation: fc.constant('replaceAsset'),
    value: fc.oneof(weird, fc.constant(imageEntry().asset)),
  }),
  fc.record({ operation: fc.constant('removeAsset'), locale: weird }),
  fc.record(
    { operation: fc.constant('revokeAsset'), note: fc.oneof(weird, fc.string({ maxLength: 250 })) },
    { requiredKeys: ['operation'] },
  ),
  fc.record({ operation: fc.constantFrom('unrevokeAsset', 'archive', 'explode', '') }),
  fc.record({ operation: weird, extra: weird }, { requiredKeys: [] }),
)

const patchBody = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        version: fc.oneof(weird, fc.constantFrom(1, '1', 2)),
        patches: fc.array(operation, { maxLength: 4 }),
      },
      { requiredKeys: ['patches'] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
)

const QUERY_KEYS = [
  'ids',
  'externalId',
  'externalIds',
  'systemName',
  'q',
  'mediaType',
  'state',
  'createdAfter',
  'createdBefore',
  'updatedAfter',
  'limit',
  'after',
  'nope',
]
const query = fc.dictionary(
  fc.constantFrom(...QUERY_KEYS),
  fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom(
      '0',
      '-1',
      '1001',
      '2026-01-01T00:00:00Z',
      'active',
      'archived',
      'revoked',
      '*',
      '"',
      'a OR b',
      'NEAR(',
      '%',
      "'",
    ),
    fc.integer().map(String),
  ),
  { maxKeys: 4 },
)

function isEnvelope(body: unknown, status: number): boolean {
  const b = body as { status?: unknown; error?: unknown }
  return typeof b === 'object' && b !== null && b.status === status && typeof b.error === 'string'
}

describe.each(DIALECTS)('fuzzed PATCH bodies and list queries (%s)', (dialect) => {
  const use = useTestServer(dialect)
  let server: TestServer
  beforeAll(async () => {
    server = use()
    const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
      token: server.token,
      body: {
        mediaLibraryEntries: [
          imageEntry({ id: 'fuzz-target', translations: [{ locale: 'fr', metadata: { title: 'Titre' } }] }),
        ],
      },
    })
    expect(res.status).toBe(200)
  })

  it(
    'PATCH: never 5xx; a refused PATCH changes nothing; an accepted one bumps the version once',
    async () => {
      const startedAt = performance.now()
      await fc.assert(
        fc.asyncProperty(patchBody, fc.constantFrom('v1', '2025-11', '2026-07'), async (body, version) => {
          const before = (
            await request(server, 'GET', '/api/v1/mediaLibrary/fuzz-target', { token: server.token })
          ).body as {
            version: number
          }
          const res = await request(server, 'PATCH', `/api/${version}/mediaLibrary/fuzz-target`, {
            token: server.token,
            body,
          })
          expect(res.status).toBeLessThan(500)
          const after = (
            await request(server, 'GET', '/api/v1/mediaLibrary/fuzz-target', { token: server.token })
          ).body as {
            version: number
          }
          if (res.status === 200) {
            expect(res.body).toEqual({ status: 200 })
            expect(after.version).toBe(before.version + 1)
          } else {
            expect(isEnvelope(res.body, res.status)).toBe(true)
            expect(after).toEqual(before)
          }
        }),
        { numRuns: RUNS },
      )
      console.log(`[${dialect}] ${RUNS} fuzzed PATCH bodies (${rate(RUNS, startedAt)}), no 5xx`)
    },
    scaledTimeout(RUNS, 600),
  )

  it('PATCH: a value nested 20,000 levels deep is refused with 400, not a stack overflow', async () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000)
    const res = await request(server, 'PATCH', '/api/v1/mediaLibrary/fuzz-target', {
      token: server.token,
      rawBody: `{"patches":[{"operation":"setMetadataProperty","propertyName":"caption","value":${deep}}]}`,
      headers: { 'content-type': 'application/json' },
    })
    expect(res.status).toBe(400)
    expect(isEnvelope(res.body, 400)).toBe(true)
  })

  it(
    'list: never 5xx, always the wrapper with an array or the error envelope',
    async () => {
      const startedAt = performance.now()
      await fc.assert(
        fc.asyncProperty(query, fc.constantFrom('v1', '2026-07'), async (params, version) => {
          const qs = new URLSearchParams(params).toString()
          const res = await request(server, 'GET', `/api/${version}/mediaLibrary?${qs}`, {
            token: server.token,
          })
          expect(res.status).toBeLessThan(500)
          if (res.status === 200) {
            const key = version === 'v1' ? 'mediaLibraryEntries' : 'results'
            expect(Array.isArray((res.body as Record<string, unknown>)[key])).toBe(true)
          } else {
            expect(isEnvelope(res.body, res.status)).toBe(true)
          }
        }),
        { numRuns: RUNS },
      )
      console.log(`[${dialect}] ${RUNS} fuzzed list queries (${rate(RUNS, startedAt)}), no 5xx`)
    },
    scaledTimeout(RUNS, 300),
  )
})
