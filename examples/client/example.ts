/**
 * A typed client of medialib, generated from the server's own OpenAPI document: `npm run build` writes
 * dist/openapi.json (scripts/openapi.mjs) and dist/openapi.d.ts (openapi-typescript); openapi-fetch does
 * the requests. Compiled with `tsc --strict` and no casts, and run against a real server by
 * test/e2e/generated-client.test.ts.
 *
 * Usage: node dist/examples/client/example.js <baseUrl> <token> <imageUrl>
 */
import createClient from 'openapi-fetch'
import type { components, paths } from '../../dist/openapi.js'

type Entry = components['schemas']['MediaLibraryEntry']
type ImportEntry = components['schemas']['ImportEntry']

const [baseUrl, token, imageUrl] = process.argv.slice(2)
if (!baseUrl || !token || !imageUrl) {
  console.error('usage: example.js <baseUrl> <token> <imageUrl>')
  process.exit(2)
}

const client = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token}` } })
const apiVersion = '2026-07'

function fail(step: string, error: unknown): never {
  throw new Error(`${step} failed: ${JSON.stringify(error)}`)
}

const entries: ImportEntry[] = ['north', 'south', 'east'].map((name, i) => ({
  id: `example-${name}`,
  systemName: 'example',
  externalId: `ext-${name}`,
  mediaType: 'image',
  asset: {
    key: `example/${name}.jpg`,
    url: `https://cdn.example.com/example/${name}.jpg`,
    size: 1000 + i,
    width: 40,
    height: 30,
    mimeType: 'image/jpeg',
    filename: `${name}.jpg`,
  },
  metadata: { title: `Harbour ${name}` },
}))

// 1. Import: one result per entry, in the version's wrapper.
const imported = await client.POST('/api/{apiVersion}/import/mediaLibrary', {
  params: { path: { apiVersion } },
  body: { mediaLibraryEntries: entries },
})
if (!imported.data) fail('import', imported.error)
const results = 'results' in imported.data ? imported.data.results : imported.data.mediaLibraryEntries
const importedIds = results.map((r) => (r.ok && r.id !== undefined ? r.id : fail('import item', r)))

// 2. Get one entry.
const first = importedIds[0] ?? fail('import', 'no id')
const got = await client.GET('/api/{apiVersion}/mediaLibrary/{id}', {
  params: { path: { apiVersion, id: first } },
})
if (!got.data) fail('get', got.error)
const entry: Entry = got.data

// 3. PATCH with the version just read; a stale version is a 409.
const patched = await client.PATCH('/api/{apiVersion}/mediaLibrary/{id}', {
  params: { path: { apiVersion, id: entry.id } },
  body: {
    version: entry.version,
    patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'Harbour north, patched' }],
  },
})
if (!patched.data) fail('patch', patched.error)
const stale = await client.PATCH('/api/{apiVersion}/mediaLibrary/{id}', {
  params: { path: { apiVersion, id: entry.id } },
  body: { version: entry.version, patches: [{ operation: 'archive' }] },
})
const staleStatus = stale.response.status
const staleError = stale.error?.error

// 4. List with filters, a page of 2 at a time, following the cursor.
const listed: string[] = []
let after: string | undefined
let pages = 0
do {
  const page = await client.GET('/api/{apiVersion}/mediaLibrary', {
    params: {
      path: { apiVersion },
      query: { systemName: 'example', mediaType: 'image', state: 'active', limit: 2, after },
    },
  })
  if (!page.data) fail('list', page.error)
  const items = 'results' in page.data ? page.data.results : page.data.mediaLibraryEntries
  listed.push(...items.map((e) => `${e.id}:${String(e.metadata.title)}`))
  after = page.data.cursor ?? undefined
  pages++
} while (after !== undefined)

// 5. Import from a URL, then poll the job's status until it finishes.
const queued = await client.POST('/api/{apiVersion}/import/images', {
  params: { path: { apiVersion } },
  body: { systemName: 'example', images: [{ id: 'from-url', url: imageUrl, fileName: 'From a URL' }] },
})
if (!queued.data) fail('url import', queued.error)
const jobId = queued.data.id
let status: components['schemas']['ImageImportStatus'] | undefined
for (let attempt = 0; attempt < 200; attempt++) {
  const polled = await client.GET('/api/{apiVersion}/import/images/status', {
    params: { path: { apiVersion }, query: { id: jobId } },
  })
  if (!polled.data) fail('status', polled.error)
  if (polled.data.finished) {
    status = polled.data
    break
  }
  await new Promise((resolve) => setTimeout(resolve, 50))
}
if (!status) fail('status', 'the job did not finish')
const image = status.images?.[0]?.image

console.log(
  JSON.stringify({
    importedIds,
    version: entry.version,
    patched: patched.data.status,
    staleStatus,
    staleError,
    listed,
    pages,
    job: {
      state: status.state,
      itemState: status.images?.[0]?.state,
      mediaId: image?.mediaId,
      width: image?.width,
    },
  }),
)
