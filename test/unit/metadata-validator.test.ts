import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { metadataMessage } from '../../src/http/api-versions.js'
import { createAjv } from '../../src/media/ajv.js'
import { defaultMediaTypes, type MediaTypeConfig } from '../../src/media/media-types/media-type.js'
import { compileMediaType } from '../../src/media/media-types/metadata-validator.js'

const ajv = createAjv()

const PHOTO: MediaTypeConfig = {
  handle: 'photo',
  type: 'mediaImage',
  metadata: [
    {
      handle: 'title',
      type: 'li-text',
      config: { required: true, requiredErrorMessage: 'Please give the photo a title', maxLength: 20 },
    },
    { handle: 'caption', type: 'li-text', config: { required: true, minLength: 3 } },
    { handle: 'credit', type: 'li-text' },
    { handle: 'rank', type: 'li-integer', config: { required: true, minValue: 1 } },
    { handle: 'published', type: 'li-boolean' },
  ],
}

const photo = compileMediaType(ajv, PHOTO)
const complete = { title: 'Sunset', caption: 'Over the sea', rank: 1 }

describe('compileMediaType', () => {
  it('exposes the handle, kind and config', () => {
    expect(photo).toMatchObject({ handle: 'photo', kind: 'mediaImage', config: PHOTO })
  })

  it('accepts complete metadata and leaves it unchanged', () => {
    const metadata = { ...complete, credit: 'AP', published: false }
    const copy = structuredClone(metadata)
    expect(photo.validateMetadata(metadata)).toEqual([])
    expect(metadata).toEqual(copy)
  })

  it('reports each missing required property, with requiredErrorMessage as the custom sentence', () => {
    expect(photo.validateMetadata({})).toEqual([
      {
        metadataProperty: 'title',
        path: '/title',
        rule: 'is required',
        custom: 'Please give the photo a title',
      },
      { metadataProperty: 'caption', path: '/caption', rule: 'is required' },
      { metadataProperty: 'rank', path: '/rank', rule: 'is required' },
    ])
  })

  it('treats an empty required text as missing (requiredErrorMessage), even when minLength is set', () => {
    expect(photo.validateMetadata({ ...complete, title: '', caption: '' })).toEqual([
      {
        metadataProperty: 'title',
        path: '/title',
        rule: 'must not be empty',
        custom: 'Please give the photo a title',
      },
      { metadataProperty: 'caption', path: '/caption', rule: 'must not be empty' },
    ])
  })

  it('does not use requiredErrorMessage for other faults of the value', () => {
    expect(photo.validateMetadata({ ...complete, title: 'x'.repeat(21) })).toEqual([
      { metadataProperty: 'title', path: '/title', rule: 'must NOT have more than 20 characters' },
    ])
    expect(photo.validateMetadata({ ...complete, title: 5 })).toEqual([
      { metadataProperty: 'title', path: '/title', rule: 'must be string' },
    ])
  })

  it('reports one error per property, the first one found, for every bad property', () => {
    expect(photo.validateMetadata({ title: 7, caption: 'ab', rank: 0.5, published: 'no' })).toEqual([
      { metadataProperty: 'title', path: '/title', rule: 'must be string' },
      { metadataProperty: 'caption', path: '/caption', rule: 'must NOT have fewer than 3 characters' },
      { metadataProperty: 'rank', path: '/rank', rule: 'must be integer' },
      { metadataProperty: 'published', path: '/published', rule: 'must be boolean' },
    ])
  })

  it('rejects every unknown property by name, and says which properties the media type has', () => {
    const errors = photo.validateMetadata({ ...complete, author: 'x', Title: 'y' })
    expect(errors).toEqual(
      ['author', 'Title'].map((p) => ({
        metadataProperty: p,
        path: `/${p}`,
        rule: 'is not a metadata property of this media type',
        custom: `Unknown metadata property '${p}': media type 'photo' defines title, caption, credit, rank, published`,
      })),
    )
  })

  it('names an unknown property with / or ~ by a proper JSON pointer', () => {
    const errors = photo.validateMetadata({ ...complete, 'a/b~c': 1 })
    expect(errors).toEqual([expect.objectContaining({ metadataProperty: 'a/b~c', path: '/a~1b~0c' })])
    expect(errors[0]?.custom).toMatch(/^Unknown metadata property 'a\/b~c'/)
  })

  it('says "defines none" for a media type without metadata', () => {
    const bare = compileMediaType(ajv, { handle: 'raw', type: 'mediaFile', metadata: [] })
    expect(bare.validateMetadata({})).toEqual([])
    expect(bare.validateMetadata({ title: 'x' })[0]?.custom).toBe(
      "Unknown metadata property 'title': media type 'raw' defines none",
    )
  })

  it('does not take inherited Object.prototype members for properties', () => {
    const odd = compileMediaType(ajv, {
      handle: 'odd',
      type: 'mediaFile',
      metadata: [
        { handle: 'constructor', type: 'li-text', config: { required: true } },
        { handle: 'toString', type: 'li-text' },
        { handle: 'valueOf', type: 'li-integer' },
      ],
    })
    expect(odd.validateMetadata({})).toEqual([
      { metadataProperty: 'constructor', path: '/constructor', rule: 'is required' },
    ])
    expect(odd.validateMetadata({ constructor: 'a', toString: 'b', valueOf: 3 })).toEqual([])
    expect(odd.validateMetadata(JSON.parse('{"constructor":"a","__proto__":{"x":1}}'))).toEqual([
      expect.objectContaining({
        metadataProperty: '__proto__',
        rule: 'is not a metadata property of this media type',
      }),
    ])
  })

  it('the default media types hold four optional texts', () => {
    for (const config of defaultMediaTypes()) {
      const compiled = compileMediaType(ajv, config)
      expect(compiled.validateMetadata({})).toEqual([])
      expect(compiled.validateMetadata({ title: 't', caption: 'c', source: 's', description: 'd' })).toEqual(
        [],
      )
      expect(compiled.validateMetadata({ title: 1 })).toEqual([
        { metadataProperty: 'title', path: '/title', rule: 'must be string' },
      ])
    }
  })

  it('can be called many times (compiled once) without errors leaking between calls', () => {
    expect(photo.validateMetadata({})).toHaveLength(3)
    expect(photo.validateMetadata(complete)).toEqual([])
    expect(photo.validateMetadata({ ...complete, rank: 0 })).toEqual([
      { metadataProperty: 'rank', path: '/rank', rule: 'must be >= 1' },
    ])
  })
})

describe('translations', () => {
  it('requires nothing: an empty translation is valid', () => {
    expect(photo.validateTranslationMetadata({}, 'de')).toEqual([])
    expect(photo.validateTranslationMetadata({ caption: 'Über dem Meer' }, 'de')).toEqual([])
  })

  it('checks values like the entry and tags each error with the locale', () => {
    expect(photo.validateTranslationMetadata({ title: 1, caption: 'ab', rank: 0 }, 'fr-CH')).toEqual([
      { metadataProperty: 'title', path: '/title', rule: 'must be string', translationLocale: 'fr-CH' },
      {
        metadataProperty: 'caption',
        path: '/caption',
        rule: 'must NOT have fewer than 3 characters',
        translationLocale: 'fr-CH',
      },
      { metadataProperty: 'rank', path: '/rank', rule: 'must be >= 1', translationLocale: 'fr-CH' },
    ])
  })

  it('rejects unknown properties in a translation too', () => {
    expect(photo.validateTranslationMetadata({ author: 'x' }, 'de')).toEqual([
      {
        metadataProperty: 'author',
        path: '/author',
        rule: 'is not a metadata property of this media type',
        custom:
          "Unknown metadata property 'author': media type 'photo' defines title, caption, credit, rank, published",
        translationLocale: 'de',
      },
    ])
  })

  it('an empty required text is still refused in a translation (a present value must be valid)', () => {
    expect(photo.validateTranslationMetadata({ title: '' }, 'de')).toEqual([
      {
        metadataProperty: 'title',
        path: '/title',
        rule: 'must not be empty',
        custom: 'Please give the photo a title',
        translationLocale: 'de',
      },
    ])
  })

  it('an entry is valid when and only when its translation with the same values is, bar required', () => {
    const value = fc.oneof(fc.string({ maxLength: 25 }), fc.integer({ min: -2, max: 3 }), fc.boolean())
    const metadata = fc.record(
      { title: value, caption: value, credit: value, rank: value, published: value, other: value },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(metadata, (m) => {
        const strip = (errors: { rule: string }[]) => errors.filter((e) => e.rule !== 'is required')
        const entry = strip(photo.validateMetadata(m))
        const translation = photo.validateTranslationMetadata(m, 'de')
        expect(translation).toEqual(entry.map((e) => ({ ...e, translationLocale: 'de' })))
      }),
      { numRuns: 300 },
    )
  })
})

describe('metadataMessage: wording per API version', () => {
  it.each([
    [
      { metadataProperty: 'title', path: '/title', rule: 'must be string' },
      "The value of '/title' should be string",
      "The value of '/title' must be string",
    ],
    [
      { metadataProperty: 'title', path: '/title', rule: 'must NOT have more than 20 characters' },
      "The value of '/title' should NOT have more than 20 characters",
      "The value of '/title' must NOT have more than 20 characters",
    ],
    [
      { metadataProperty: 'd', path: '/d', rule: 'must be an ISO-8601 date-time string' },
      "The value of '/d' should be an ISO-8601 date-time string",
      "The value of '/d' must be an ISO-8601 date-time string",
    ],
    [
      { metadataProperty: 'crops', path: '/crops/crops/0/z', rule: 'is not an allowed property' },
      "The value of '/crops/crops/0/z' is not an allowed property",
      "The value of '/crops/crops/0/z' is not an allowed property",
    ],
    [
      { metadataProperty: 'rank', path: '/rank', rule: 'is required' },
      "The value of '/rank' is required",
      "The value of '/rank' is required",
    ],
    [
      {
        metadataProperty: 'title',
        path: '/title',
        rule: 'is required',
        custom: 'Please give the photo a title',
      },
      'Please give the photo a title',
      'Please give the photo a title',
    ],
  ])('%j: v1 %j, dated %j', (error, v1, dated) => {
    expect(metadataMessage(error, true)).toBe(v1)
    expect(metadataMessage(error, false)).toBe(dated)
  })

  it('words the seed example exactly', () => {
    const [error] = compileMediaType(ajv, defaultMediaTypes()[0]!).validateMetadata({ title: 1 })
    expect(metadataMessage(error!, true)).toBe("The value of '/title' should be string")
    expect(metadataMessage(error!, false)).toBe("The value of '/title' must be string")
  })
})
