import { Ajv } from 'ajv'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { rate, runsFrom, scaledTimeout } from '../helpers/long-runs.js'
import { request, useTestServer, type TestServer } from '../helpers/server.js'

/** Bodies per dialect; MEDIALIB_FUZZ_RUNS raises it locally (npm run test:long). */
const RUNS = runsFrom('MEDIALIB_FUZZ_RUNS', 300)
/** Up to this many stored entries, every body is followed by a read of them all; past it, see below. */
const FULL_CHECK_UP_TO = 5_000

const ajv = new Ajv({ allErrors: true })
const envelope = {
  type: 'object',
  required: ['status', 'error'],
  properties: {
    status: { type: 'integer', minimum: 400, maximum: 499 },
    error: { type: 'string' },
    error_details: { type: 'object' },
  },
  additionalProperties: false,
}
const okItem = {
  type: 'object',
  required: ['ok', 'status', 'id', 'record'],
  properties: {
    ok: { const: true },
    status: { const: 200 },
    id: { type: 'string', pattern: '^[a-zA-Z0-9-]{1,32}$' },
    record: {
      type: 'object',
      required: ['id', 'version', 'mediaType', 'asset', 'metadata', 'createdAt', 'updatedAt'],
    },
  },
  additionalProperties: false,
}
const failedItem = {
  type: 'object',
  required: ['ok', 'correlation', 'status', 'error', 'error_details'],
  properties: {
    ok: { const: false },
    correlation: { type: 'string' },
    status: { enum: [400, 409] },
    error: { enum: ['ValidationError', 'MetadataValidationErrors', 'UniqueIdViolation'] },
    error_details: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } },
  },
  additionalProperties: false,
}
const importResponse = ajv.compile({
  type: 'object',
  required: ['mediaLibraryEntries'],
  properties: { mediaLibraryEntries: { type: 'array', items: { oneOf: [okItem, failedItem] } } },
  additionalProperties: false,
})
const errorResponse = ajv.compile(envelope)

// Small pools make ids and externalIds collide inside and across batches; the NFC/NFD pair looks equal
// but is not, and must be treated as two keys.
const idPool = fc.constantFrom('fz-1', 'fz-2', 'fz-3', 'FZ-1', 'fz-4', undefined)
const externalPool = fc.constantFrom(
  'ext-1',
  'ext-2',
  'caf\u00e9',
  'cafe\u0301',
  '\u05e9\u05dc\u05d5\u05dd',
  undefined,
)
const weirdString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    '\u0000',
    '\ud800',
    'a\udc00b',
    '../../etc/passwd',
    '/abs.jpg',
    'v/x.jpg',
    'x'.repeat(5000),
  ),
)
const weirdValue = fc.oneof(
  weirdString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_VALUE, -0, 1e308, -1, 2 ** 53 + 1),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 4 }),
)
const paths = [
  ['id'],
  ['systemName'],
  ['externalId'],
  ['mediaType'],
  ['asset'],
  ['asset', 'key'],
  ['asset', 'url'],
  ['asset', 'size'],
  ['asset', 'width'],
  ['asset', 'mimeType'],
  ['metadata'],
  ['metadata', 'title'],
  ['metadata', 'caption'],
  ['metadata', 'unknown'],
  ['translations'],
  ['extra'],
]

const entryArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ id: idPool, externalId: externalPool }) },
  {
    weight: 4,
    arbitrary: fc.record({
      id: idPool,
      externalId: externalPool,
      path: fc.constantFrom(...paths),
      value: weirdValue,
      remove: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ raw: fc.jsonValue({ maxDepth: 3 }) }) },
)

function build(spec: Record<string, unknown>): unknown {
  if ('raw' in spec) return spec.raw
  const entry = imageEntry({ id: spec.id, externalId: spec.externalId }) as Record<string, unknown>
  if (spec.path) {
    const path = spec.path as string[]
    let target = entry
    for (const key of path.slice(0, -1)) {
      if (target[key] === null || typeof target[key] !== 'object') target[key] = {}
      target = target[key] as Record<string, unknown>
    }
    const last = path[path.length - 1]!
    if (spec.remove) delete target[last]
    else target[last] = spec.value
  }
  return entry
}

describe.each(DIALECTS)('fuzzed import bodies (%s)', (dialect) => {
  const use = useTestServer(dialect, { bodyBytes: 256 * 1024, entriesPerRequest: 40 })
  let server: TestServer
  const okIds = new Set<string>()
  beforeAll(() => {
    server = use()
  })

  const storedIds = async () =>
    new Set(
      (
        await server.deps.database.db
          .selectFrom('media_entries')
          .select('id')
          .where('project', '=', 'default')
          .execute()
      ).map((r) => r.id),
    )
  const storedCount = async () =>
    Number(
      (
        await server.deps.database.db
          .selectFrom('media_entries')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('project', '=', 'default')
          .executeTakeFirstOrThrow()
      ).n,
    )
  /**
   * The stored ids are exactly the ok ones. A read of every id after each body makes a long run quadratic, so
   * past FULL_CHECK_UP_TO entries a body is checked by the count and by its own ok ids, and the whole set every
   * 1,000 bodies and at the end: a stray or lost entry is still caught, a few bodies later.
   */
  const checkStored = async (bodies: number, newOk: string[]) => {
    if (okIds.size <= FULL_CHECK_UP_TO || bodies % 1_000 === 0) {
      expect(await storedIds()).toEqual(okIds)
      return
    }
    expect(await storedCount()).toBe(okIds.size)
    if (newOk.length === 0) return
    const found = await server.deps.database.db
      .selectFrom('media_entries')
      .select('id')
      .where('project', '=', 'default')
      .where('id', 'in', newOk)
      .execute()
    expect(found.length).toBe(newOk.length)
  }

  it(
    'never answers 5xx, always answers in schema, and stores exactly the ok entries',
    async () => {
      let bodies = 0
      const startedAt = performance.now()
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            {
              weight: 8,
              arbitrary: fc
                .array(entryArb, { maxLength: 45 })
                .map((specs) => ({ mediaLibraryEntries: specs.map(build) })),
            },
            { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
            { weight: 1, arbitrary: fc.record({ mediaLibraryEntries: weirdValue }) },
          ),
          async (body) => {
            bodies += 1
            const newOk: string[] = []
            const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
              token: server.token,
              body,
            })
            expect(res.status).toBeLessThan(500)
            if (res.status === 200) {
              const valid = importResponse(res.body)
              expect(valid ? null : importResponse.errors).toBeNull()
              const results = (res.body as { mediaLibraryEntries: { ok: boolean; id?: string }[] })
                .mediaLibraryEntries
              expect(results).toHaveLength(
                (body as { mediaLibraryEntries: unknown[] }).mediaLibraryEntries.length,
              )
              for (const r of results) {
                if (r.ok) {
                  okIds.add(r.id!)
                  newOk.push(r.id!)
                }
              }
            } else {
              const valid = errorResponse(res.body)
              expect(valid ? null : errorResponse.errors).toBeNull()
              expect((res.body as { status: number }).status).toBe(res.status)
            }
            await checkStored(bodies, newOk)
          },
        ),
        { numRuns: RUNS },
      )
      expect(await storedIds()).toEqual(okIds)
      console.log(
        `[${dialect}] ${bodies} fuzzed bodies (${rate(bodies, startedAt)}), ${okIds.size} entries stored, no 5xx`,
      )
    },
    scaledTimeout(RUNS, 400),
  )

  it('regression: NUL characters and lone surrogates are refused per entry, not stored altered', async () => {
    const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
      token: server.token,
      body: {
        mediaLibraryEntries: [
          imageEntry({ id: 'nul-title', metadata: { title: 'a\u0000b' } }),
          imageEntry({ id: 'surrogate-ext', externalId: '\ud800' }),
          imageEntry({ id: 'fine-after' }),
        ],
      },
    })
    const results = (res.body as { mediaLibraryEntries: Record<string, unknown>[] }).mediaLibraryEntries
    expect(results[0]).toMatchObject({
      ok: false,
      status: 400,
      error: 'ValidationError',
      error_details: {
        message:
          "Invalid entry: '/metadata/title' must not contain NUL characters or unpaired UTF-16 surrogates",
      },
    })
    expect(results[1]).toMatchObject({ ok: false, status: 400, error: 'ValidationError' })
    expect(results[2]).toMatchObject({ ok: true, id: 'fine-after' })
    okIds.add('fine-after')
  })

  it('raw bodies: duplicate keys, deep nesting, number literals at the limits, broken JSON', async () => {
    const entry = JSON.stringify(imageEntry({ id: 'raw-dup' }))
    const deep = '['.repeat(20_000) + ']'.repeat(20_000)
    const cases: { raw: string; status: number; stored?: string[] }[] = [
      // Duplicate keys: JSON.parse keeps the last one, so the stored entry is the one the answer shows.
      {
        raw: `{"mediaLibraryEntries":[],"mediaLibraryEntries":[${entry}]}`,
        status: 200,
        stored: ['raw-dup'],
      },
      { raw: `{"mediaLibraryEntries":[${entry.replace('{', '{"id":"first-id",')}]}`, status: 200 },
      { raw: `{"mediaLibraryEntries":${deep}}`, status: 200 },
      { raw: `{"mediaLibraryEntries":[${deep}]}`, status: 200 },
      { raw: `{"mediaLibraryEntries":[{"metadata":{"title":${deep}}}]}`, status: 200 },
      { raw: `{"mediaLibraryEntries":[${entry.replace('"size":', '"size":1e999,"x":')}]}`, status: 200 },
      {
        raw: `{"mediaLibraryEntries":[${entry.replace('"width":', '"width":123456789012345678901234567890,"w":')}]}`,
        status: 200,
      },
      { raw: '{"mediaLibraryEntries":[', status: 400 },
      { raw: '\ufeff{"mediaLibraryEntries":[]}', status: 400 },
      { raw: '', status: 400 },
    ]
    for (const c of cases) {
      const res = await request(server, 'POST', '/api/v1/import/mediaLibrary', {
        token: server.token,
        rawBody: c.raw,
        headers: { 'content-type': 'application/json' },
      })
      expect(res.status, c.raw.slice(0, 80)).toBeLessThan(500)
      if (res.status === 200) {
        expect(importResponse(res.body) ? null : importResponse.errors).toBeNull()
        for (const r of (res.body as { mediaLibraryEntries: { ok: boolean; id?: string }[] })
          .mediaLibraryEntries)
          if (r.ok) okIds.add(r.id!)
      } else {
        expect(errorResponse(res.body) ? null : errorResponse.errors).toBeNull()
      }
      for (const id of c.stored ?? []) expect(okIds.has(id)).toBe(true)
      expect(await storedIds()).toEqual(okIds)
    }
  })
})
