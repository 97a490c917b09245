import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readSourceMetadataFile } from '../../src/cli/import/source-metadata-file.js'
import { formatDuration, parseDuration } from '../../src/sources/schedule.js'

describe('schedules: --rescan-every', () => {
  it('reads s/m/h/d durations, off, and refuses the rest with a clear message', () => {
    expect(parseDuration('15m')).toBe(900_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('1d')).toBe(86_400_000)
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('off')).toBeNull()
    expect(parseDuration('0')).toBeNull()
    expect(() => parseDuration('5s')).toThrow(/from 1m to 366d/)
    expect(() => parseDuration('400d')).toThrow(/from 1m to 366d/)
    for (const bad of ['', '1 h', 'h', '10', '1w', '-1h'])
      expect(() => parseDuration(bad)).toThrow(/like 90s/)
    expect(formatDuration(5_400_000)).toBe('1h30m')
    expect(formatDuration(86_400_000 + 1000)).toBe('1d1s')
  })
})

describe('a metadata file keyed by path', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'medialib-metadata-file-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const file = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text)
    return path.join(dir, name)
  }

  it('CSV without a property mapping: every column but the key is a property; empty cells left out', async () => {
    const csv = file('a.csv', '\uFEFFpath,title,metadata.caption\nx/a.jpg,A,\nb.jpg,,B caption\n')
    expect(await readSourceMetadataFile(csv, {})).toEqual([
      { path: 'x/a.jpg', metadata: { title: 'A' } },
      { path: 'b.jpg', metadata: { caption: 'B caption' } },
    ])
  })

  it('CSV with mappings: only mapped columns and metadata.* ones', async () => {
    const csv = file('b.txt', 'File,Headline,Other,metadata.source\na.jpg,Head,ignored,Src\n')
    expect(
      await readSourceMetadataFile(csv, { format: 'csv', map: ['path=File', 'title=Headline'] }),
    ).toEqual([{ path: 'a.jpg', metadata: { title: 'Head', source: 'Src' } }])
  })

  it('refuses what it cannot use, naming the line', async () => {
    const csv = file('c.csv', 'path,title\na.jpg,One\na.jpg,Two\n')
    await expect(readSourceMetadataFile(csv, {})).rejects.toThrow(/line 3: the path a.jpg was on line 2/)
    const escape = file('d.ndjson', '{"path":"../etc/passwd","title":"x"}\n')
    await expect(readSourceMetadataFile(escape, {})).rejects.toThrow(/line 1: invalid path/)
    const notObject = file('e.ndjson', '[1,2]\n')
    await expect(readSourceMetadataFile(notObject, {})).rejects.toThrow(/line 1: expected an object/)
    const badJson = file('f.jsonl', '{"path":\n')
    await expect(readSourceMetadataFile(badJson, {})).rejects.toThrow(/line 1:/)
    await expect(readSourceMetadataFile(file('g.dat', 'x'), {})).rejects.toThrow(
      /give --format csv or ndjson/,
    )
    await expect(readSourceMetadataFile(path.join(dir, 'none.csv'), {})).rejects.toThrow(/Cannot read/)
    await expect(readSourceMetadataFile(csv, { map: ['asset.url=title'] })).rejects.toThrow(
      /maps path and metadata properties only/,
    )
  })
})
