import { describe, expect, it } from 'vitest'
import {
  checkUploadRestrictions,
  mimeAllowed,
  parseSize,
  restrictionsOf,
} from '../../src/media/media-types/upload-restrictions.js'
import { normalizeMediaTypes } from '../../src/media/media-types/media-types-config.js'

describe('uploadRestrictions', () => {
  it.each([
    ['15mb', 15 * 1024 * 1024],
    ['10MB', 10 * 1024 * 1024],
    ['500kb', 500 * 1024],
    ['1gb', 1024 ** 3],
    ['1.5mb', 1.5 * 1024 * 1024],
    [2048, 2048],
    ['2048', 2048],
    ['0', undefined],
    [-1, undefined],
    ['ten mb', undefined],
    ['15 tb', undefined],
    [1.5, undefined],
  ])('parses the size %s', (value, bytes) => {
    expect(parseSize(value)).toBe(bytes)
  })

  it('applies the reference defaults by kind and families such as image/*', () => {
    expect(restrictionsOf({ type: 'mediaImage' })).toEqual({ maxBytes: 15 * 1024 * 1024 })
    expect(restrictionsOf({ type: 'mediaVideo' }).maxBytes).toBe(100 * 1024 * 1024)
    const r = restrictionsOf({
      type: 'mediaImage',
      uploadRestrictions: { maxFileSize: '1mb', allowedMimeTypes: ['image/*', 'Application/PDF'] },
    })
    expect(r.maxBytes).toBe(1024 * 1024)
    expect(mimeAllowed('image/webp', r)).toBe(true)
    expect(mimeAllowed('application/pdf', r)).toBe(true)
    expect(mimeAllowed('video/mp4', r)).toBe(false)
    expect(mimeAllowed('anything/else', restrictionsOf({ type: 'mediaFile' }))).toBe(true)
  })

  it('names every problem of a bad config, and the loader reports them', () => {
    expect(checkUploadRestrictions({ maxFileSize: 'big', allowedMimeTypes: [], extra: 1 }, 'x')).toEqual([
      "x has the unknown key 'extra' (known keys: maxFileSize, allowedMimeTypes)",
      'x.maxFileSize must be a size such as 15mb or a number of bytes',
      'x.allowedMimeTypes must be a non-empty list of types such as image/png or image/*',
    ])
    expect(() =>
      normalizeMediaTypes([
        { handle: 'image', type: 'mediaImage', metadata: [], uploadRestrictions: { maxFileSize: 'big' } },
      ]),
    ).toThrow("mediaTypes[0] 'image'.uploadRestrictions.maxFileSize must be a size")
    const [image] = normalizeMediaTypes([
      { handle: 'image', type: 'mediaImage', metadata: [], uploadRestrictions: { maxFileSize: '2mb' } },
    ])
    expect(image?.uploadRestrictions).toEqual({ maxFileSize: '2mb' })
  })
})
