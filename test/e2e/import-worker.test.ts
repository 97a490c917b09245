import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { imageEntry, SEED_REQUEST } from '../helpers/fixtures.js'
import { request, useTestServer, type TestServer } from '../helpers/server.js'

/**
 * Issue 13, finding 10: big import bodies are parsed, validated, written and answered in a worker thread
 * (src/media/import-worker.ts). Its answers must be the main thread's, byte for byte up to timestamps and
 * generated ids: two servers, one sending every body through the worker (importWorkerBytes 0), one none
 * (importWorkerBytes past the body limit), get the same requests and must give the same answers.
 */
const LIMITS = { entriesPerRequest: 5, bodyBytes: 64 * 1024 }
const ISO = /"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"/g
const GENERATED_ID = /"id":"[A-Za-z0-9_-]{20,}"/g

/** Requests and what each server must agree on: raw text, so whitespace and a byte-order mark go as sent. */
const CASES: { name: string; body: string; version?: string }[] = [
  { name: 'the seed request', body: JSON.stringify(SEED_REQUEST) },
  { name: 'the same request again (all unique failures)', body: JSON.stringify(SEED_REQUEST) },
  {
    name: 'ids and externalIds twice in one batch, generated ids, bad entries',
    body: JSON.stringify({
      mediaLibraryEntries: [
        imageEntry({ id: 'w-1' }),
        imageEntry({ id: 'w-1' }),
        imageEntry({ systemName: 's', externalId: 'e1' }),
        imageEntry({ systemName: 's', externalId: 'e1' }),
        { mediaType: 'image', asset: { key: 'x//y' } },
      ],
    }),
  },
  {
    name: 'non-object entries, whitespace and newlines',
    body: '{ "mediaLibraryEntries" :\n [ null, 1, "x", [], {"mediaType": "nope"} ]\n}\n',
  },
  {
    name: 'a metadata error, API 2026-01',
    body: JSON.stringify({ mediaLibraryEntries: [imageEntry({ metadata: { title: 5 } })] }),
    version: '2026-01',
  },
  {
    name: 'a metadata error, API v1',
    body: JSON.stringify({ mediaLibraryEntries: [imageEntry({ metadata: { title: 5 } })] }),
  },
  { name: 'an empty batch', body: '{"mediaLibraryEntries":[]}' },
  {
    name: 'another top-level key',
    body: JSON.stringify({ other: 1, mediaLibraryEntries: [imageEntry({ id: 'w-2' })] }),
  },
  {
    name: 'a byte-order mark',
    body: `\uFEFF${JSON.stringify({ mediaLibraryEntries: [imageEntry({ id: 'w-3' })] })}`,
  },
  {
    name: 'an escaped key',
    body: `{"mediaLibrary\\u0045ntries":[${JSON.stringify(imageEntry({ id: 'w-4' }))}]}`,
  },
  { name: 'invalid JSON in an entry', body: '{"mediaLibraryEntries":[{"mediaType":"image",}]}' },
  {
    name: 'invalid JSON after the entries',
    body: `{"mediaLibraryEntries":[${JSON.stringify(imageEntry())}]]`,
  },
  {
    name: 'a brace inside a string',
    body: JSON.stringify({ mediaLibraryEntries: [imageEntry({ metadata: { title: '}{"]' } })] }),
  },
  {
    name: '__proto__ in an entry',
    body: `{"mediaLibraryEntries":[{"__proto__":{"x":1},"mediaType":"image"}]}`,
  },
  {
    name: 'constructor in an entry',
    body: `{"mediaLibraryEntries":[{"constructor":{"prototype":{"x":1}}}]}`,
  },
  { name: 'an array body', body: '[{"mediaLibraryEntries":[]}]' },
  { name: 'an empty object', body: '{}' },
  { name: 'entries not an array', body: '{"mediaLibraryEntries":{"a":1}}' },
  { name: 'entries a string', body: '{"mediaLibraryEntries":"many"}' },
  {
    name: 'too many entries',
    body: JSON.stringify({ mediaLibraryEntries: Array.from({ length: 6 }, () => ({})) }),
  },
  {
    name: 'a body past the limit',
    body: JSON.stringify({ mediaLibraryEntries: [imageEntry({ metadata: { title: 'x'.repeat(70_000) } })] }),
  },
]

/** The nice value of each thread of this process (Linux: field 19 of /proc/self/task/TID/stat). */
function threadNices(): Map<number, number> {
  const nices = new Map<number, number>()
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]))
  }
  return nices
}

async function answer(server: TestServer, body: string, version = 'v1') {
  const res = await request(server, 'POST', `/api/${version}/import/mediaLibrary`, {
    token: server.token,
    rawBody: body,
    headers: { 'content-type': 'application/json' },
  })
  const text = JSON.stringify(res.body).replace(ISO, '"<time>"').replace(GENERATED_ID, '"id":"<generated>"')
  return { status: res.status, text, chunked: res.headers.get('transfer-encoding') === 'chunked' }
}

describe.each(DIALECTS)('imports in the worker answer as on the main thread (%s)', (dialect) => {
  const inWorker = useTestServer(dialect, { ...LIMITS, importWorkerBytes: 0 })
  const onMain = useTestServer(dialect, { ...LIMITS, importWorkerBytes: 1024 * 1024 })

  it('gives the same status and body for every request, in order', async () => {
    for (const c of CASES) {
      const [worker, main] = [
        await answer(inWorker(), c.body, c.version),
        await answer(onMain(), c.body, c.version),
      ]
      expect({ case: c.name, status: worker.status, body: worker.text }).toEqual({
        case: c.name,
        status: main.status,
        body: main.text,
      })
      // The imported ones came from the worker: its answer is streamed (chunked), the main thread's is not.
      expect(main.chunked).toBe(false)
      if (main.status === 200)
        expect({ case: c.name, chunked: worker.chunked }).toEqual({ case: c.name, chunked: true })
    }
  })

  it('stores the same entries', async () => {
    const list = async (server: TestServer) => {
      const res = await request(server, 'GET', '/api/v1/mediaLibrary?limit=100', { token: server.token })
      return JSON.stringify(res.body).replace(ISO, '"<time>"').replace(GENERATED_ID, '"id":"<generated>"')
    }
    expect(await list(inWorker())).toEqual(await list(onMain()))
  })

  it.runIf(process.platform === 'linux')(
    'runs the worker thread below the event loop: nice 10, the main thread unchanged',
    async () => {
      // A body that went through the worker (above, or this one) started the thread.
      expect((await answer(inWorker(), JSON.stringify(SEED_REQUEST))).chunked).toBe(true)
      const nices = threadNices()
      expect(nices.get(process.pid)).toBe(0)
      expect([...nices.values()].filter((n) => n === 10).length).toBeGreaterThanOrEqual(1)
    },
  )
})
