import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry } from '../helpers/fixtures.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

/** The version matrix of docs/api.md, row by row. */
const MATRIX: { version: string; listKey: string; legacyErrors: boolean; from202603: boolean }[] = [
  { version: 'v1', listKey: 'mediaLibraryEntries', legacyErrors: true, from202603: false },
  { version: 'beta', listKey: 'mediaLibraryEntries', legacyErrors: true, from202603: false },
  ...['2025-03', '2025-05', '2025-07', '2025-09', '2025-11'].map((version) => ({
    version,
    listKey: 'mediaLibraryEntries',
    legacyErrors: false,
    from202603: false,
  })),
  { version: '2026-01', listKey: 'results', legacyErrors: false, from202603: false },
  ...['2026-03', '2026-05', '2026-07'].map((version) => ({
    version,
    listKey: 'results',
    legacyErrors: false,
    from202603: true,
  })),
]

describe.each(DIALECTS)('API versions (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer(dialect)
  })
  afterAll(async () => {
    await server.close()
  })
  const call = (method: string, url: string, body?: unknown) =>
    request(server, method, url, { token: server.token, body })

  it('answers an unknown version with a 404 that lists the supported ones', async () => {
    for (const version of ['v2', '2024-01', '2026-09', '2025-04']) {
      const res = await call('GET', `/api/${version}/mediaLibrary?ids=x`)
      expect(res.status).toBe(404)
      expect(res.body).toEqual({
        status: 404,
        error: 'Not Found',
        error_details: {
          name: 'NotFound',
          message: `Unknown API version '${version}'. Supported versions: ${MATRIX.map((m) => m.version).join(', ')}`,
          supportedVersions: MATRIX.map((m) => m.version),
        },
      })
    }
  })

  it('documents PATCH, keys and the search extension in the OpenAPI document, with examples', async () => {
    const res = await request(server, 'GET', '/api/openapi.json')
    expect(res.status).toBe(200)
    const doc = res.body as { paths: Record<string, Record<string, Record<string, unknown>>> }
    const entry = doc.paths['/api/{apiVersion}/mediaLibrary/{id}']!
    expect(JSON.stringify(entry.patch?.requestBody)).toMatch(/"examples?":/)
    expect(JSON.stringify(entry.patch?.requestBody)).toContain('setMetadataProperty')
    expect(JSON.stringify(doc.paths['/api/{apiVersion}/mediaLibrary/{id}/keys']!.get)).toContain('my/key.jpg')
    const list = doc.paths['/api/{apiVersion}/mediaLibrary']!.get as { parameters: { name: string }[] }
    expect(list.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'mediaType',
        'state',
        'createdAfter',
        'createdBefore',
        'updatedAfter',
        'q',
        'limit',
        'after',
      ]),
    )
    expect(JSON.stringify(list)).toContain('Search extension')
  })

  describe.each(MATRIX)('$version', ({ version, listKey, legacyErrors, from202603 }) => {
    it('imports, lists, searches and reads in the version wrapper', async () => {
      const good = imageEntry()
      const bad = imageEntry({ metadata: { title: 42 } })
      const imported = await call('POST', `/api/${version}/import/mediaLibrary`, {
        mediaLibraryEntries: [good, bad],
      })
      expect(imported.status).toBe(200)
      const body = imported.body as Record<string, Record<string, unknown>[]>
      expect(Object.keys(body)).toEqual([listKey])
      const [ok, failed] = body[listKey]!
      expect(ok).toMatchObject({ ok: true, status: 200, id: good.id, record: { id: good.id, version: 1 } })
      const items = [
        {
          metadataProperty: 'title',
          message: `The value of '/title' ${legacyErrors ? 'should' : 'must'} be string`,
        },
      ]
      expect(failed).toEqual({
        ok: false,
        correlation: `id: ${bad.id as string}`,
        status: 400,
        ...(legacyErrors
          ? {
              error: 'MetadataValidationErrors',
              error_details: { message: 'Metadata validation failed.', invalidMetadata: items },
            }
          : {
              error: 'ValidationError',
              error_details: { message: 'Metadata validation failed.', errors: items },
            }),
      })
      const record = ok!.record

      const byIds = await call('GET', `/api/${version}/mediaLibrary?ids=${good.id as string},nope`)
      expect(byIds.body).toEqual({ [listKey]: [record] })
      const byExternal = await call(
        'GET',
        `/api/${version}/mediaLibrary?externalId=${good.externalId as string}&systemName=${good.systemName as string}`,
      )
      expect(byExternal.body).toEqual({ [listKey]: [record] })
      const search = await call('GET', `/api/${version}/mediaLibrary?limit=1000`)
      const page = search.body as Record<string, unknown>
      expect(Object.keys(page)).toEqual([listKey, 'cursor'])
      expect(page[listKey]).toContainEqual(record)
      const single = await call('GET', `/api/${version}/mediaLibrary/${good.id as string}`)
      expect(single.body).toEqual(record)
    })

    it('words PATCH errors as its import does, and offers preserveUpdatedAt and keys from 2026-03', async () => {
      const entry = imageEntry()
      await call('POST', `/api/${version}/import/mediaLibrary`, { mediaLibraryEntries: [entry] })
      const id = entry.id as string
      const invalid = await call('PATCH', `/api/${version}/mediaLibrary/${id}`, {
        patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 42 }],
      })
      expect(invalid.status).toBe(400)
      expect(invalid.body).toMatchObject({
        error: legacyErrors ? 'MetadataValidationErrors' : 'ValidationError',
      })

      const preserve = await call('PATCH', `/api/${version}/mediaLibrary/${id}`, {
        preserveUpdatedAt: true,
        patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'ok' }],
      })
      expect(preserve.status).toBe(from202603 ? 200 : 400)
      const plain = await call('PATCH', `/api/${version}/mediaLibrary/${id}`, {
        version: from202603 ? 2 : 1,
        patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'ok' }],
      })
      expect(plain.body).toEqual({ status: 200 })

      const keys = await call('GET', `/api/${version}/mediaLibrary/${id}/keys`)
      expect(keys.status).toBe(from202603 ? 200 : 404)
      if (from202603) expect(keys.body).toEqual({ results: [(entry.asset as { key: string }).key] })
    })
  })
})
