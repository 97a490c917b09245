import { describe, expect, it } from 'vitest'
import { createCsvMapper, parseMappings } from '../../src/cli/import/csv-mapping.js'
import { entryOf, type InputItem } from '../../src/cli/import/input-item.js'
import { scanJsonArray } from '../../src/cli/import/json-array-scanner.js'
import { detectFormat } from '../../src/cli/import/readers.js'
import { UsageError } from '../../src/errors.js'

/** Feeds the text in chunks of `size` bytes, so that every boundary case is crossed. */
async function* chunks(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8')
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

async function scan(text: string, size = 7): Promise<InputItem[]> {
  const out: InputItem[] = []
  for await (const item of scanJsonArray(chunks(text, size))) out.push(item)
  return out
}

const tricky = [
  { id: 'a', metadata: { title: 'brackets ] } [ { and "quotes" \\ and \u00e9\u{1F600}' } },
  { id: 'b', translations: [{ locale: 'de', metadata: {} }], n: [1, [2, [3]]] },
  'a string, with a comma',
  42,
  null,
]

describe('scanJsonArray', () => {
  it.each([1, 2, 3, 7, 64, 4096])('streams the elements of an array, in chunks of %i bytes', async (size) => {
    const text = JSON.stringify(tricky, null, 2)
    const items = await scan(text, size)
    expect(items.map((i) => entryOf(i))).toEqual(tricky)
    expect(items.map((i) => i.index)).toEqual([0, 1, 2, 3, 4])
    expect(items[0]?.line).toBe(2)
  })

  it('streams the mediaLibraryEntries array of a wrapper and ignores other arrays', async () => {
    const text = `\uFEFF${JSON.stringify({ before: [{ id: 'x' }], 'media"Library': [1], mediaLibraryEntries: tricky, after: [{ id: 'y' }] })}`
    expect((await scan(text, 5)).map((i) => entryOf(i))).toEqual(tricky)
  })

  it('reports an element that is not JSON and goes on', async () => {
    const items = await scan('[{"id":"a"},\n{"id": nope},\n{"id":"c"}]')
    expect(items.map((i) => entryOf(i))).toEqual([{ id: 'a' }, undefined, { id: 'c' }])
    expect(items[1]?.parseError).toMatch(/JSON/)
    expect(items[1]?.line).toBe(2)
  })

  it('handles empty arrays, and refuses what is not an array of entries', async () => {
    expect(await scan('[]')).toEqual([])
    expect(await scan('{"mediaLibraryEntries": []}')).toEqual([])
    await expect(scan('{"entries": [1]}')).rejects.toThrow(UsageError)
    await expect(scan('[{"id":"a"},')).rejects.toThrow(/ends early/)
    await expect(scan('"text"')).rejects.toThrow(UsageError)
  })
})

describe('detectFormat', () => {
  it.each([
    ['[{"id":"a"}]', undefined, 'json'],
    ['{"id":"a"}\n{"id":"b"}\n', undefined, 'ndjson'],
    ['{"mediaLibraryEntries":[{"id":"a"}]}\n', undefined, 'json'],
    ['{\n  "mediaLibraryEntries": [\n', undefined, 'json'],
    ['{"mediaLibraryEntries":[]}', undefined, 'json'],
    ['id,title\n', 'legacy.CSV', 'csv'],
    ['[1]', 'x.jsonl', 'ndjson'],
  ])('%j (%s) is %s', (head, file, format) => {
    expect(detectFormat(Buffer.from(head), file)).toBe(format)
  })

  it('asks for --format when it cannot tell', () => {
    expect(() => detectFormat(Buffer.from('id,title\n'))).toThrow(/--format/)
  })
})

describe('CSV mapping', () => {
  it('maps columns to entry fields, metadata by default, with numeric asset sizes', () => {
    const header = ['ID', 'Headline', 'asset.url', 'Bytes', 'metadata.caption', 'Other']
    const map = createCsvMapper(header, ['id=ID', 'title=Headline', 'asset.size=Bytes'], 'image')
    expect(
      map({
        ID: 'a-1',
        Headline: 'Hello',
        'asset.url': 'https://x/1.jpg',
        Bytes: '12',
        'metadata.caption': '',
        Other: 'z',
      }),
    ).toEqual({
      id: 'a-1',
      mediaType: 'image',
      metadata: { title: 'Hello' },
      asset: { url: 'https://x/1.jpg', size: 12 },
    })
    expect(
      map({ ID: 'a-2', Headline: '', 'asset.url': 'u', Bytes: '12kB', 'metadata.caption': 'c', Other: '' }),
    ).toEqual({
      id: 'a-2',
      mediaType: 'image',
      metadata: { caption: 'c' },
      asset: { url: 'u', size: '12kB' },
    })
  })

  it('gives every row the --set constants', () => {
    const map = createCsvMapper(['T'], ['title=T'], undefined, [
      'mediaType=video',
      'asset.mimeType=video/mp4',
    ])
    expect(map({ T: 'x' })).toEqual({
      mediaType: 'video',
      asset: { mimeType: 'video/mp4' },
      metadata: { title: 'x' },
    })
  })

  it('refuses bad mappings with a clear message', () => {
    expect(() => parseMappings(['title'])).toThrow(/expected target=Column/)
    expect(() => parseMappings(['asset.a.b=X'])).toThrow(/the target must be/)
    expect(() => createCsvMapper(['A'], ['title=B'], 'image')).toThrow(/CSV has no column 'B'/)
    expect(() => createCsvMapper(['A'], ['title=A'])).toThrow(/--media-type/)
    expect(createCsvMapper(['mediaType'], [])({ mediaType: 'video' })).toEqual({
      mediaType: 'video',
      metadata: {},
    })
  })
})
