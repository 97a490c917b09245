import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

/** The 200 schema of the reference's `getMediaLibraryEntryUsageLog` (a copy of the reference YAML). */
const referenceSchema = (() => {
  const doc = parse(
    readFileSync(
      new URL('../fixtures/reference/get-media-library-entry-usage-log.yaml', import.meta.url),
      'utf8',
    ),
  ) as {
    openapi: {
      responses: { '200': { content: { 'application/json': { schema: Record<string, unknown> } } } }
    }
  }
  return doc.openapi.responses['200'].content['application/json'].schema
})()
const ajv = new Ajv({ strict: false, allErrors: true })
addFormats(ajv)
// The reference types `url` as `format: url`, which is not a JSON Schema format: an absolute URL.
ajv.addFormat('url', (s: string) => URL.canParse(s))
const matchesReference = ajv.compile(referenceSchema)

type UsageItem = Record<string, unknown> & { id: string; state: string }

/** A labelValuePair data provider of these values. */
const choices = (...values: string[]) => ({
  dataProvider: { type: 'labelValuePair', items: values.map((value) => ({ label: value, value })) },
})

const PRINT = {
  handle: 'print',
  label: 'Print',
  paramsSchema: [
    { handle: 'medium', type: 'li-enum', config: { required: true, ...choices('Paper', 'Internet') } },
    { handle: 'pages', type: 'li-integer' },
    { handle: 'colour', type: 'li-boolean' },
    { handle: 'issue', type: 'li-date' },
    { handle: 'sections', type: 'li-string-list', config: choices('a', 'b') },
    { handle: 'editions', type: 'li-numeric-list' },
    { handle: 'printedAt', type: 'li-datetime' },
    { handle: 'note', type: 'li-text' },
  ],
}

/** A value for every param of PRINT. */
const ALL_PARAMS = {
  medium: 'Internet',
  pages: 3,
  colour: true,
  issue: '2026-04-02',
  sections: ['a'],
  editions: [1, 2],
  printedAt: '2026-04-02T05:00:00Z',
  note: 'p. 3',
}

describe.each(DIALECTS)('usage log (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer(dialect)
    await server.deps.projects.updateUsagePurposes('default', [{ handle: 'web', label: 'Web' }, PRINT])
  })
  afterAll(async () => {
    await server.close()
  })

  const importOne = async () => {
    const entry = imageEntry()
    const res = await request(server, 'POST', '/api/2026-03/import/mediaLibrary', {
      token: server.token,
      body: { mediaLibraryEntries: [entry] },
    })
    expect(res.status).toBe(200)
    return entry.id as string
  }
  const patch = (id: string, patches: unknown[], extra: Record<string, unknown> = {}) =>
    request(server, 'PATCH', `/api/2026-05/mediaLibrary/${id}`, {
      token: server.token,
      body: { ...extra, patches },
    })
  const usageLog = async (id: string, version = '2026-05') => {
    const res = await request(server, 'GET', `/api/${version}/mediaLibrary/${id}/usageLog`, {
      token: server.token,
    })
    expect(res.status).toBe(200)
    return (res.body as { results: UsageItem[] }).results
  }
  const version = async (id: string) =>
    (
      (await request(server, 'GET', `/api/2026-05/mediaLibrary/${id}`, { token: server.token })).body as {
        version: number
      }
    ).version

  it('every project starts with the purpose web', async () => {
    await server.createToken('fresh-project', ['public-api:read'])
    const row = await server.deps.projects.get('fresh-project')
    expect(row?.usagePurposes).toEqual([{ handle: 'web', label: 'Web' }])
  })

  it('addUsageLogEntry: the GET answers the reference shape, validated against its schema', async () => {
    const id = await importOne()
    expect(await usageLog(id)).toEqual([])
    const res = await patch(id, [
      {
        operation: 'addUsageLogEntry',
        value: {
          state: 'confirmed',
          purpose: 'print',
          publicationDate: '2026-04-02T13:34:26.353Z',
          url: 'https://example.com/article/slug-121',
          params: ALL_PARAMS,
          documentId: 121,
          publicationId: 110,
        },
      },
      { operation: 'addUsageLogEntry', value: { purpose: 'web' } },
    ])
    expect(res).toMatchObject({ status: 200, body: { status: 200 } })
    const log = await usageLog(id)
    expect(log).toHaveLength(2)
    expect(log[0]).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{8}$/),
      url: 'https://example.com/article/slug-121',
      state: 'confirmed',
      params: ALL_PARAMS,
      purpose: 'print',
      documentId: 121,
      publicationId: 110,
      reportingDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      publicationDate: '2026-04-02T13:34:26.353Z',
    })
    // Keys in the reference's order.
    expect(Object.keys(log[0]!)).toEqual([
      'id',
      'url',
      'state',
      'params',
      'purpose',
      'documentId',
      'publicationId',
      'reportingDate',
      'publicationDate',
    ])
    expect(log[1]).toEqual({
      id: expect.any(String),
      state: 'pending',
      params: {},
      purpose: 'web',
      reportingDate: expect.any(String),
    })
    const body = { results: log }
    expect(matchesReference(body), JSON.stringify(matchesReference.errors)).toBe(true)
    // No version constraint: the legacy versions serve it too.
    expect(await usageLog(id, 'v1')).toEqual(log)
    expect(await version(id)).toBe(2)
  })

  it('updateUsageLogEntry replaces the value; a mismatching oldValue is a 409 and writes nothing', async () => {
    const id = await importOne()
    await patch(id, [
      { operation: 'addUsageLogEntry', value: { purpose: 'print', params: { medium: 'Paper' } } },
    ])
    const [added] = await usageLog(id)
    const conflict = await patch(id, [
      {
        operation: 'updateUsageLogEntry',
        usageLogEntryId: added!.id,
        value: {
          state: 'confirmed',
          publicationDate: '2026-05-01T11:00:00.000Z',
          params: { medium: 'Internet' },
        },
        oldValue: { state: 'confirmed' },
      },
    ])
    expect(conflict.status).toBe(409)
    expect(conflict.body).toEqual({
      status: 409,
      error: 'ConflictError',
      error_details: {
        name: 'ConflictError',
        message: `The usage log entry '${added!.id}' does not match oldValue (field 'state' differs)`,
      },
    })
    expect(await usageLog(id)).toEqual([added])

    const ok = await patch(id, [
      {
        operation: 'updateUsageLogEntry',
        usageLogEntryId: added!.id,
        value: {
          state: 'confirmed',
          publicationDate: '2026-05-01T11:00:00.000Z',
          params: { medium: 'Internet' },
        },
        oldValue: { state: 'pending', purpose: 'print', params: { medium: 'Paper' } },
      },
    ])
    expect(ok.status).toBe(200)
    const [updated] = await usageLog(id)
    expect(updated).toMatchObject({
      id: added!.id,
      state: 'confirmed',
      purpose: 'print',
      params: { medium: 'Internet' },
      publicationDate: '2026-05-01T11:00:00.000Z',
    })
    // An empty oldValue matches anything; state is required on updates.
    const noState = await patch(id, [
      {
        operation: 'updateUsageLogEntry',
        usageLogEntryId: added!.id,
        value: { purpose: 'web' },
        oldValue: {},
      },
    ])
    expect(noState.status).toBe(400)
    expect(noState.body).toMatchObject({
      error_details: { 'patches.0.value.state': 'is required for updates' },
    })
  })

  it('removeUsageLogEntry removes it; an unknown usageLogEntryId is a 404', async () => {
    const id = await importOne()
    await patch(id, [{ operation: 'addUsageLogEntry', value: { purpose: 'web' } }])
    const [added] = await usageLog(id)
    const unknown = await patch(id, [{ operation: 'removeUsageLogEntry', usageLogEntryId: 'nope' }])
    expect(unknown.status).toBe(404)
    expect(unknown.body).toMatchObject({
      error_details: { message: `Usage log entry does not exist (id: 'nope', media library entry: '${id}')` },
    })
    expect((await patch(id, [{ operation: 'removeUsageLogEntry', usageLogEntryId: added!.id }])).status).toBe(
      200,
    )
    expect(await usageLog(id)).toEqual([])
    const missing = await patch(id, [{ operation: 'removeUsageLogEntry' }])
    expect(missing.status).toBe(400)
    expect(missing.body).toMatchObject({
      error_details: { 'patches.0.usageLogEntryId': 'is required for removeUsageLogEntry' },
    })
  })

  it('answers 400 for an unknown purpose, params failing the schema and a confirmed entry without publicationDate', async () => {
    const id = await importOne()
    const cases: [unknown, Record<string, string>][] = [
      [
        { purpose: 'radio' },
        { 'patches.0.value.purpose': "Unknown usage purpose 'radio' (this project has: web, print)" },
      ],
      [
        { purpose: 'print', params: { medium: 'Stone' } },
        { 'patches.0.value.params.medium': expect.stringContaining('must be') as unknown as string },
      ],
      [
        { purpose: 'print', params: {} },
        { 'patches.0.value.params.medium': expect.any(String) as unknown as string },
      ],
      [
        { purpose: 'print', params: { medium: 'Paper', pages: 'three' } },
        { 'patches.0.value.params.pages': expect.any(String) as unknown as string },
      ],
      [
        { purpose: 'print', params: { medium: 'Paper', issue: '2026-13-45' } },
        { 'patches.0.value.params.issue': expect.any(String) as unknown as string },
      ],
      [
        { purpose: 'print', params: { medium: 'Paper', unknownParam: 1 } },
        {
          'patches.0.value.params.unknownParam':
            "Unknown param 'unknownParam': the usage purpose 'print' defines medium, pages, colour, issue, sections, editions, printedAt, note",
        },
      ],
      [
        { purpose: 'web', state: 'confirmed' },
        { 'patches.0.value.publicationDate': 'is required when state is confirmed' },
      ],
      [{ purpose: 'web', state: 'published' }, { 'patches.0.value.state': 'must be pending or confirmed' }],
      [
        { purpose: 'web', url: 'not a url' },
        { 'patches.0.value.url': 'must be an absolute URL of at most 2048 characters' },
      ],
      [{ state: 'pending' }, { 'patches.0.value.purpose': 'is required' }],
    ]
    for (const [value, details] of cases) {
      const res = await patch(id, [{ operation: 'addUsageLogEntry', value }])
      expect(res.status, JSON.stringify(value)).toBe(400)
      expect(
        (res.body as { error_details: Record<string, unknown> }).error_details,
        JSON.stringify(value),
      ).toMatchObject(details)
    }
    expect(await usageLog(id)).toEqual([])
    expect(await version(id)).toBe(1)
  })

  it('the used filter lists used or unused entries, on list and search', async () => {
    const used = await importOne()
    const unused = await importOne()
    await patch(used, [{ operation: 'addUsageLogEntry', value: { purpose: 'web' } }])
    const ids = async (query: string) => {
      const res = await request(server, 'GET', `/api/2026-05/mediaLibrary?${query}&limit=1000`, {
        token: server.token,
      })
      expect(res.status).toBe(200)
      return (res.body as { results: { id: string }[] }).results.map((r) => r.id)
    }
    expect(await ids('used=true')).toContain(used)
    expect(await ids('used=true')).not.toContain(unused)
    expect(await ids('used=false')).toContain(unused)
    expect(await ids('used=false')).not.toContain(used)
    expect(await ids('used=false&mediaType=image&state=active')).toContain(unused)
    const bad = await request(server, 'GET', '/api/2026-05/mediaLibrary?used=maybe', { token: server.token })
    expect(bad.status).toBe(400)
  })
})
