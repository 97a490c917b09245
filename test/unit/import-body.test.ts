import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import secureJsonParse from 'secure-json-parse'
import { parseImportBody } from '../../src/media/import-body.js'

/**
 * The import worker's body parser (issue 13, finding 10) must read every body as Fastify's JSON parser and
 * the route's schema do: the same entries when the body is `{mediaLibraryEntries: [...]}` within the limit,
 * invalid JSON exactly when Fastify's parser throws, a wrong shape otherwise.
 */
const MAX = 8
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'))

/** What Fastify would make of a body: the entries, or why not. */
function reference(text: string): { kind: string; entries?: unknown[] } {
  let body: unknown
  try {
    body = secureJsonParse(text, { protoAction: 'error', constructorAction: 'error' })
  } catch {
    return { kind: 'invalid-json' }
  }
  const entries = (body as { mediaLibraryEntries?: unknown } | null)?.mediaLibraryEntries
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !Array.isArray(entries)) {
    return { kind: 'shape' }
  }
  return entries.length > MAX ? { kind: 'shape' } : { kind: 'entries', entries }
}

function same(text: string) {
  const parsed = parseImportBody(bytes(text), MAX)
  const expected = reference(text)
  expect(parsed.kind).toBe(expected.kind)
  if (parsed.kind === 'entries') expect(parsed.entries).toEqual(expected.entries)
}

const entry = fc.oneof(
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 }),
  fc.jsonValue({ maxDepth: 3 }),
)
const body = fc.record(
  { entries: fc.array(entry, { maxLength: MAX + 2 }), indent: fc.constantFrom(0, 1, 2, '\t', ' \r\n') },
  { requiredKeys: ['entries', 'indent'] },
)

describe('parseImportBody', () => {
  it('reads well-formed bodies, any whitespace and entries, as Fastify does', () => {
    fc.assert(
      fc.property(body, ({ entries, indent }) =>
        same(JSON.stringify({ mediaLibraryEntries: entries }, null, indent as string | number)),
      ),
      { numRuns: 300 },
    )
  })

  it('reads a body with one character changed, inserted or removed as Fastify does', () => {
    fc.assert(
      fc.property(
        body,
        fc.nat(),
        fc.constantFrom('', '{', '}', '[', ']', '"', '\\', ',', ':', ' ', 'x', '1'),
        (b, at, c) => {
          const text = JSON.stringify({ mediaLibraryEntries: b.entries })
          const i = at % (text.length + 1)
          same(text.slice(0, i) + c + text.slice(i + (c === '' ? 1 : 0)))
          same(text.slice(0, i) + c + text.slice(i + 1))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('refuses prototype keys anywhere, and reads the unusual shapes whole', () => {
    for (const text of [
      '{"mediaLibraryEntries":[{"__proto__":{}}]}',
      '{"mediaLibraryEntries":[{"a":{"constructor":{"prototype":{}}}}]}',
      '{"mediaLibraryEntries":[{"\\u005f_proto__":{}}]}',
      '\uFEFF{"mediaLibraryEntries":[{}]}',
      '{"mediaLibrary\\u0045ntries":[{}]}',
      '{"mediaLibraryEntries":[{}],"mediaLibraryEntries":5}',
      '{"x":1,"mediaLibraryEntries":[{"a":"}]"}]}',
      '{"mediaLibraryEntries":[{"a":"\\"}"}]}',
      '{"mediaLibraryEntries":[{}]} x',
      '{"mediaLibraryEntries":[{}] ',
      '{"mediaLibraryEntries":[{},]}',
      '{"mediaLibraryEntries":[,{}]}',
      '',
      '  ',
    ])
      same(text)
  })
})
