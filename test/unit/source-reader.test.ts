import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDiskSourceReader, SourcePathError } from '../../src/sources/source-reader.js'

/** A disk source's `readSmall` (a scan's path for small files) keeps `get`'s rules: inside the root only. */
describe('disk source reader: readSmall', () => {
  let root: string
  let outside: string
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'medialib-reader-'))
    outside = mkdtempSync(path.join(tmpdir(), 'medialib-outside-'))
    mkdirSync(path.join(root, 'a', 'b'), { recursive: true })
    writeFileSync(path.join(root, 'a', 'b', 'small.bin'), Buffer.from('0123456789'))
    writeFileSync(path.join(root, 'top.bin'), Buffer.from('top'))
    writeFileSync(path.join(outside, 'secret.bin'), Buffer.from('secret'))
    symlinkSync(path.join(outside, 'secret.bin'), path.join(root, 'a', 'escape.bin'))
    symlinkSync(outside, path.join(root, 'a', 'away'))
    symlinkSync(path.join(root, 'top.bin'), path.join(root, 'a', 'inside.bin'))
  })
  afterAll(() => {
    rmSync(root, { recursive: true, force: true })
    rmSync(outside, { recursive: true, force: true })
  })

  it('reads a small file whole, says null when it is larger, undefined when it is missing or a folder', async () => {
    const reader = createDiskSourceReader(root)
    expect((await reader.readSmall!('a/b/small.bin', 10))?.toString()).toBe('0123456789')
    expect((await reader.readSmall!('top.bin', 10))?.toString()).toBe('top')
    expect(await reader.readSmall!('a/b/small.bin', 9)).toBeNull()
    expect(await reader.readSmall!('a/b/none.bin', 10)).toBeUndefined()
    expect(await reader.readSmall!('nope/none.bin', 10)).toBeUndefined()
    expect(await reader.readSmall!('a/b', 10)).toBeUndefined()
  })

  it('refuses a symlink out of the root, as a file or as a folder, and follows one that stays inside', async () => {
    const reader = createDiskSourceReader(root)
    await expect(reader.readSmall!('a/escape.bin', 100)).rejects.toThrow(SourcePathError)
    await expect(reader.readSmall!('a/away/secret.bin', 100)).rejects.toThrow(SourcePathError)
    await expect(reader.get('a/away/secret.bin')).rejects.toThrow(SourcePathError)
    expect((await reader.readSmall!('a/inside.bin', 100))?.toString()).toBe('top')
    await expect(reader.readSmall!('../x.bin', 100)).rejects.toThrow(SourcePathError)
  })
})
