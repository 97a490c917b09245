import { SCOPES } from '../../src/projects/token.service.js'
import { describe, expect, it } from 'vitest'
import { CURRENT_VERSION, SUPPORTED_VERSIONS } from '../../src/http/api-versions.js'
import { DIALECTS } from '../helpers/dialects.js'
import { DocumentChecker } from '../helpers/openapi.js'
import { request, useTestServer } from '../helpers/server.js'

type Json = Record<string, unknown>
type Operation = {
  operationId?: string
  tags?: string[]
  parameters?: { name: string; in: string; schema?: Json }[]
  requestBody?: Json
  responses: Record<string, { content?: Record<string, { schema?: Json }>; headers?: Json }>
}

const METHODS = ['get', 'post', 'patch', 'put', 'delete']

function operationsOf(document: Json): { path: string; method: string; op: Operation }[] {
  const out: { path: string; method: string; op: Operation }[] = []
  for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
    for (const method of METHODS) if (item[method]) out.push({ path, method, op: item[method] })
  }
  return out
}

/** A concrete URL of a documented path. */
function concrete(path: string): string {
  return path.replace('{apiVersion}', 'v1').replace('{id}', 'no-such-entry').replace('{key}', '2020/1/a.jpg')
}

const asset = (key: string) => ({
  key,
  url: `https://cdn.example.com/${key}`,
  size: 10,
  width: 2,
  height: 2,
  mimeType: 'image/jpeg',
  filename: 'a.jpg',
})

describe.each(DIALECTS)('the OpenAPI document and the API agree (%s)', (dialect) => {
  const server = useTestServer(dialect)
  const document = async () => (await request(server(), 'GET', '/api/openapi.json')).body as Json

  it('is OpenAPI 3.1 with servers, defined tags, and an operationId on every operation', async () => {
    const doc = await document()
    expect(doc.openapi).toBe('3.1.0')
    expect((doc.servers as { url: string }[])[0]!.url).toMatch(/^http:\/\//)
    const tags = new Set((doc.tags as { name: string }[]).map((t) => t.name))
    const ops = operationsOf(doc)
    expect(ops.length).toBeGreaterThanOrEqual(15)
    const ids = ops.map((o) => o.op.operationId)
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    // The reference's names where it has them.
    for (const name of [
      'getApiStatus',
      'importMediaLibraryEntries',
      'getMediaLibraryEntryById',
      'getMediaLibraryEntries',
      'updateMediaLibraryEntry',
      'getAllKeysForMediaLibraryEntry',
      'mediaLibraryServeImage',
      'importImage',
      'importVideos',
      'importFiles',
      'getImageImportStatus',
      'getVideoImportStatus',
      'getFileImportStatus',
    ]) {
      expect(ids).toContain(name)
    }
    for (const { op } of ops) {
      expect(op.tags?.length).toBe(1)
      expect(tags.has(op.tags![0]!)).toBe(true)
    }
  })

  it('declares a 2xx with a body schema for every operation, and the error envelope for its errors', async () => {
    const doc = await document()
    for (const { path, method, op } of operationsOf(doc)) {
      const ok = Object.keys(op.responses).filter((s) => s.startsWith('2'))
      expect(ok.length, `${method} ${path}`).toBeGreaterThan(0)
      for (const status of ok) {
        const content = op.responses[status]!.content
        // 204 No Content (DELETE) has no body to describe.
        if (status === '204') {
          expect(content, `${method} ${path} ${status}`).toBeUndefined()
          continue
        }
        expect(content, `${method} ${path} ${status}`).toBeDefined()
        for (const media of Object.values(content!)) expect(media.schema).toBeDefined()
      }
      // Operators' probes and metrics (/livez, /readyz, /metrics) are outside the API and its envelope rules.
      if (!path.startsWith('/api/')) continue
      for (const status of ['400', '404', '429', '503']) {
        expect(
          op.responses[status]?.content?.['application/json']?.schema,
          `${method} ${path} ${status}`,
        ).toEqual(expect.objectContaining({ $ref: '#/components/schemas/ErrorResponse' }))
      }
    }
  })

  it('names its components, shows the import body as ImportEntry, the serve-image key as a path parameter', async () => {
    const doc = await document()
    const schemas = (doc.components as { schemas: Json }).schemas
    for (const name of [
      'MediaLibraryEntry',
      'ImportEntry',
      'ImportResult',
      'ImportResponseV1',
      'ImportResponse',
      'MediaLibraryEntryListV1',
      'MediaLibraryEntryList',
      'ErrorResponse',
      'ImageImportStatus',
      'VideoImportStatus',
      'FileImportStatus',
    ]) {
      expect(schemas[name], name).toBeDefined()
    }
    const paths = doc.paths as Record<string, Record<string, Operation>>
    const importBody = paths['/api/{apiVersion}/import/mediaLibrary']!.post!.requestBody as {
      content: { 'application/json': { schema: { properties: { mediaLibraryEntries: { items: Json } } } } }
    }
    expect(importBody.content['application/json'].schema.properties.mediaLibraryEntries.items).toEqual({
      $ref: '#/components/schemas/ImportEntry',
    })
    const serve = paths['/api/{apiVersion}/mediaLibrary/serve-image/{key}']!.get!
    expect(serve.parameters!.find((p) => p.in === 'path' && p.name === 'key')).toBeDefined()
    expect(Object.keys(serve.responses)).toEqual(expect.arrayContaining(['200', '403', '404']))
    const version = serve.parameters!.find((p) => p.name === 'apiVersion')!
    expect(version.schema).toMatchObject({ enum: SUPPORTED_VERSIONS, default: CURRENT_VERSION })
    // Real examples, from the seed page.
    expect(JSON.stringify(schemas.ImportEntry)).toContain('2020/1/22/3a2ede93.jpeg')
  })

  it('the response check rejects what the document does not allow', async () => {
    const checker = new DocumentChecker(await document())
    const entryPath = '/api/{apiVersion}/mediaLibrary/{id}'
    const base = {
      method: 'GET',
      path: '/api/v1/mediaLibrary/x',
      headers: { 'content-type': 'application/json' },
    }
    const record = {
      id: 'x',
      version: 1,
      mediaType: 'image',
      asset: asset('a.jpg'),
      metadata: {},
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    }
    expect(checker.check({ ...base, status: 200, body: JSON.stringify(record) }, entryPath)).toEqual([])
    expect(checker.check({ ...base, status: 418, body: '{}' }, entryPath)[0]).toContain('status not declared')
    expect(
      checker.check(
        { ...base, status: 200, body: JSON.stringify({ ...record, colour: 'red' }) },
        entryPath,
      )[0],
    ).toContain('does not match')
    const { version: _v, ...noVersion } = record
    expect(checker.check({ ...base, status: 200, body: JSON.stringify(noVersion) }, entryPath)[0]).toContain(
      'does not match',
    )
    expect(
      checker.check({ ...base, status: 404, body: JSON.stringify({ status: 404, nope: 1 }) }, entryPath)[0],
    ).toContain('does not match')
    const serve = '/api/{apiVersion}/mediaLibrary/serve-image/{key}'
    const image = { method: 'GET', path: '/api/v1/mediaLibrary/serve-image/a/b.jpg', body: undefined }
    const headers = {
      'content-type': 'image/jpeg',
      etag: '"1"',
      'last-modified': 'x',
      'accept-ranges': 'bytes',
      'content-length': '3',
    }
    expect(checker.check({ ...image, status: 200, headers }, serve)).toEqual([])
    expect(
      checker.check({ ...image, status: 200, headers: { ...headers, etag: undefined } }, serve)[0],
    ).toContain("declared header 'etag' missing")
    // serve-image answers any stored type (as an attachment unless a raster image); thumbnails only images.
    const thumbnail = '/api/{apiVersion}/mediaLibrary/{id}/thumbnail'
    const thumbnailHeaders = {
      'content-type': 'text/html',
      etag: '"1"',
      vary: 'Accept',
      'cache-control': 'x',
    }
    expect(
      checker.check(
        {
          method: 'GET',
          path: '/api/v1/mediaLibrary/x/thumbnail',
          body: undefined,
          status: 200,
          headers: thumbnailHeaders,
        },
        thumbnail,
      )[0],
    ).toContain("content type 'text/html' not declared")
    expect(checker.matchPath('GET', '/api/v1/mediaLibrary/serve-image/2020/01/a.jpg')).toBe(serve)
    expect(checker.matchPath('GET', '/api/v1/mediaLibrary/abc/keys')).toBe(
      '/api/{apiVersion}/mediaLibrary/{id}/keys',
    )
  })

  it('answers an unknown query parameter with a 400 naming it, on every operation', async () => {
    const doc = await document()
    const token = await server().createToken('default', [...SCOPES])
    for (const { path, method } of operationsOf(doc)) {
      const res = await request(server(), method.toUpperCase(), `${concrete(path)}?idz=a&colour=red`, {
        token,
        ...(method === 'get' ? {} : { body: {} }),
      })
      expect(res.status, `${method} ${path}`).toBe(400)
      expect(res.body, `${method} ${path}`).toMatchObject({
        status: 400,
        error: 'Bad Request',
        error_details: {
          idz: 'is not a query parameter of this route',
          colour: 'is not a query parameter of this route',
          message: expect.stringContaining('Unknown query parameters: idz, colour'),
        },
      })
    }
    // A misspelt filter no longer lists the whole library.
    const misspelt = await request(server(), 'GET', '/api/v1/mediaLibrary?idz=a', { token: server().token })
    expect(misspelt.status).toBe(400)
    expect((misspelt.body as { error_details: Json }).error_details.message).toContain(
      'this route takes: ids,',
    )
  })

  it('accepts the array encodings clients send for ids and externalId', async () => {
    const token = server().token
    const entries = ['enc-a', 'enc-b', 'enc-c'].map((id) => ({
      id,
      systemName: 'enc',
      externalId: `x-${id}`,
      mediaType: 'image',
      asset: asset(`enc/${id}.jpg`),
    }))
    const imported = await request(server(), 'POST', '/api/2026-07/import/mediaLibrary', {
      token,
      body: { mediaLibraryEntries: entries },
    })
    expect(imported.status).toBe(200)
    const idsOf = async (query: string) => {
      const res = await request(server(), 'GET', `/api/2026-07/mediaLibrary?${query}`, { token })
      expect(res.status, query).toBe(200)
      return (res.body as { results: { id: string }[] }).results.map((r) => r.id)
    }
    expect(await idsOf('ids=enc-c,enc-a')).toEqual(['enc-c', 'enc-a'])
    expect(await idsOf('ids%5B0%5D=enc-c&ids%5B1%5D=enc-a')).toEqual(['enc-c', 'enc-a'])
    expect(await idsOf('ids%5B1%5D=enc-a&ids%5B0%5D=enc-c')).toEqual(['enc-c', 'enc-a'])
    expect(await idsOf('ids[]=enc-b&ids[]=enc-a')).toEqual(['enc-b', 'enc-a'])
    expect(await idsOf('ids=enc-b&ids=enc-c')).toEqual(['enc-b', 'enc-c'])
    expect(await idsOf('externalId%5B0%5D=x-enc-a&externalId%5B1%5D=x-enc-b&systemName=enc')).toEqual([
      'enc-a',
      'enc-b',
    ])
    expect(await idsOf('externalIds=x-enc-c&externalIds=x-enc-a&systemName=enc')).toEqual(['enc-c', 'enc-a'])
    // A parameter that is not a list is not accepted twice.
    const twice = await request(server(), 'GET', '/api/2026-07/mediaLibrary?q=a&q=b', { token })
    expect(twice.status).toBe(400)
  })
})
