import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { metadataFromTags, probeFile, ProbeError, readImageTags } from '../../src/jobs/probe.js'
import { makeImage, makeMp4, makePdf, SVG } from '../helpers/media-server.js'

describe('probing downloaded bytes', () => {
  let dir: string
  const write = (name: string, bytes: Buffer) => {
    const file = path.join(dir, name)
    writeFileSync(file, bytes)
    return file
  }
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-probe-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it.each([
    ['png', 'image/png', 'png'],
    ['jpeg', 'image/jpeg', 'jpg'],
    ['gif', 'image/gif', 'gif'],
    ['webp', 'image/webp', 'webp'],
  ] as const)('measures a %s from its bytes', async (format, mime, ext) => {
    const file = write(`x-${format}.bin`, await makeImage(format, 37, 23))
    expect(await probeFile(file, 'mediaImage')).toEqual({
      mimeType: mime,
      extension: ext,
      width: 37,
      height: 23,
    })
  })

  it('recognises and measures an SVG', async () => {
    expect(await probeFile(write('x.svg.bin', SVG), 'mediaImage')).toEqual({
      mimeType: 'image/svg+xml',
      extension: 'svg',
      width: 120,
      height: 80,
    })
  })

  it('reads width, height and duration of an MP4 from its container', async () => {
    const file = write('v.bin', makeMp4(640, 360, 90_000, 317_175))
    expect(await probeFile(file, 'mediaVideo')).toEqual({
      mimeType: 'video/mp4',
      extension: 'mp4',
      width: 640,
      height: 360,
      duration: expect.closeTo(317_175 / 90_000, 9),
    })
  })

  it('takes any type for files, and names a PDF a PDF', async () => {
    expect(await probeFile(write('d.bin', makePdf('hello')), 'mediaFile')).toEqual({
      mimeType: 'application/pdf',
      extension: 'pdf',
    })
    expect(await probeFile(write('t.bin', Buffer.from('just text')), 'mediaFile')).toEqual({
      mimeType: 'application/octet-stream',
      extension: 'bin',
    })
  })

  it('refuses bytes that are not of the kind asked for, whatever the name says', async () => {
    const pdfAsPng = write('fake.png', makePdf('not an image'))
    await expect(probeFile(pdfAsPng, 'mediaImage')).rejects.toThrow(
      new ProbeError('not an image: the content is application/pdf'),
    )
    await expect(probeFile(write('text.jpg', Buffer.from('hello')), 'mediaImage')).rejects.toThrow(
      'not an image: the content is of an unknown type',
    )
    const pngAsMp4 = write('fake.mp4', await makeImage('png', 4, 4))
    await expect(probeFile(pngAsMp4, 'mediaVideo')).rejects.toThrow('not a video: the content is image/png')
  })

  it('maps EXIF tags to metadata, first non-empty mapping wins', async () => {
    const jpeg = await makeImage('jpeg', 16, 16, [1, 2, 3], {
      ImageDescription: 'A red square',
      Artist: 'Ann',
    })
    const tags = await readImageTags(write('exif.jpg', jpeg))
    expect(tags.ImageDescription).toBe('A red square')
    const metadata = metadataFromTags(tags, [
      { field: 'Headline', metadataPropertyName: 'caption' },
      { field: 'ImageDescription', metadataPropertyName: 'caption' },
      { field: 'Artist', metadataPropertyName: 'source' },
      { field: 'Copyright', metadataPropertyName: 'source' },
    ])
    expect(metadata).toEqual({ caption: 'A red square', source: 'Ann' })
    expect(await readImageTags(write('none.bin', Buffer.from('x')))).toEqual({})
  })
})
