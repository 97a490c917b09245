import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createAjv } from '../../src/media/ajv.js'
import { createEntryValidator, type EntryCheck } from '../../src/media/entry-validator.js'
import { defaultMediaTypes } from '../../src/media/media-types/media-type.js'
import { compileMediaType, type CompiledMediaType } from '../../src/media/media-types/metadata-validator.js'
import { imageEntry, SEED_REQUEST } from '../helpers/fixtures.js'

const ajv = createAjv()
const validator = createEntryValidator(ajv)
const TYPES: ReadonlyMap<string, CompiledMediaType> = new Map(
  [
    ...defaultMediaTypes(),
    {
      handle: 'photo',
      type: 'mediaImage' as const,
      metadata: [
        {
          handle: 'title',
          type: 'li-text',
          config: { required: true, requiredErrorMessage: 'A photo needs a title' },
        },
        { handle: 'rank', type: 'li-integer', config: { minValue: 1 } },
      ],
    },
  ].map((c) => [c.handle, compileMediaType(ajv, c)]),
)
const check = (raw: unknown): EntryCheck => validator.check(raw, TYPES)

const IMAGE_ASSET = {
  key: '2020/1/22/3a2ede93.jpeg',
  url: 'http://li.s3.amazonaws.com/2020/1/22/3a2ede93.jpeg',
  size: 290339,
  width: 1200,
  height: 750,
  filename: 'image.jpg',
  mimeType: 'image/jpeg',
}
const FILE_ASSET = {
  key: 'docs/a.pdf',
  url: 'https://cdn.example.com/docs/a.pdf',
  size: 10,
  filename: 'a.pdf',
  mimeType: 'application/pdf',
}
const VIDEO_ASSET = {
  ...FILE_ASSET,
  key: 'v.mp4',
  url: 'https://cdn.example.com/v',
  mimeType: 'video/mp4',
  width: 1920,
  height: 1080,
  duration: 12.5,
}

const entry = (overrides: Record<string, unknown> = {}) => ({
  mediaType: 'image',
  asset: IMAGE_ASSET,
  ...overrides,
})

/** The validation failure `{message, errors}` of an entry (fails the test when it passed). */
function failure(raw: unknown) {
  const result = check(raw)
  if (result.ok) throw new Error(`expected a failure for ${JSON.stringify(raw)}`)
  return result.failure
}

const invalid = (path: string, message: string, more = 0) => ({
  kind: 'validation',
  message: `Invalid entry: '${path}' ${message}${more ? ` (and ${more} more)` : ''}`,
  errors: expect.arrayContaining([{ path, message }]),
})

describe('entry validator: accepted entries', () => {
  it('accepts the seed example and returns it unchanged, with metadata', () => {
    const raw = SEED_REQUEST.mediaLibraryEntries[0]
    expect(check(raw)).toEqual({ ok: true, entry: raw })
    expect(check(imageEntry()).ok).toBe(true)
  })

  it('defaults the metadata to {} and leaves unset fields out', () => {
    expect(check(entry())).toEqual({
      ok: true,
      entry: { mediaType: 'image', asset: IMAGE_ASSET, metadata: {} },
    })
  })

  it.each([
    ['image', IMAGE_ASSET],
    ['video', VIDEO_ASSET],
    ['file', FILE_ASSET],
    ['file', { ...FILE_ASSET, width: 10, height: 10 }],
    ['image', { ...IMAGE_ASSET, url: 'https://x.test/a.WEBP?w=1' }],
    ['image', { ...IMAGE_ASSET, width: 0, height: 0, size: 0 }],
    // Every relative key is the client's: `v/…` too (thumbnails live in their own namespace).
    ['video', { ...VIDEO_ASSET, key: 'v/2020/clip.mp4' }],
    ['image', { ...IMAGE_ASSET, key: '.hidden/..x/a..b.jpg' }],
  ])('accepts a %s with asset %j', (mediaType, asset) => {
    expect(check(entry({ mediaType, asset })).ok).toBe(true)
  })

  it('accepts ids of 1 to 32 characters of a-z, A-Z, 0-9 and -', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-zA-Z0-9-]{1,32}$/), (id) => check(entry({ id })).ok))
  })

  it('accepts translations with their own metadata and asset, nothing required', () => {
    const translations = [
      { locale: 'de', metadata: {} },
      { locale: 'fr-CH', metadata: { rank: 2 }, asset: { ...IMAGE_ASSET, key: 'fr.jpg' } },
    ]
    expect(check(entry({ mediaType: 'photo', metadata: { title: 'T' }, translations }))).toEqual({
      ok: true,
      entry: { mediaType: 'photo', asset: IMAGE_ASSET, metadata: { title: 'T' }, translations },
    })
  })
})

describe('entry validator: refused entries', () => {
  it.each([null, [], 'entry', 1])('refuses %j: not an object', (raw) => {
    expect(failure(raw)).toEqual({
      kind: 'validation',
      message: "Invalid entry: '/' must be an object",
      errors: [{ path: '/', message: 'must be an object' }],
    })
  })

  it('refuses an externalId without a systemName with the seed message', () => {
    expect(failure(entry({ id: 'custom-3', externalId: 'external-2' }))).toEqual({
      kind: 'validation',
      message: 'An asset with an externalId also requires a systemName',
    })
  })

  it.each([
    [{ asset: IMAGE_ASSET }, '/mediaType', 'is required'],
    [{ mediaType: 'image' }, '/asset', 'is required'],
    [entry({ id: '' }), '/id', 'must be 1 to 32 characters of a-z, A-Z, 0-9 and -'],
    [entry({ id: 'a'.repeat(33) }), '/id', 'must be 1 to 32 characters of a-z, A-Z, 0-9 and -'],
    [entry({ id: 'has space' }), '/id', 'must be 1 to 32 characters of a-z, A-Z, 0-9 and -'],
    [entry({ id: 'ümlaut' }), '/id', 'must be 1 to 32 characters of a-z, A-Z, 0-9 and -'],
    [entry({ id: 7 }), '/id', 'must be 1 to 32 characters of a-z, A-Z, 0-9 and -'],
    [
      entry({ id: 'sources' }),
      '/id',
      "'sources' is reserved (a route of its own under /mediaLibrary/); choose another id",
    ],
    [
      entry({ id: 'serve-image' }),
      '/id',
      "'serve-image' is reserved (a route of its own under /mediaLibrary/); choose another id",
    ],
    [entry({ systemName: '' }), '/systemName', 'must NOT have fewer than 1 characters'],
    [
      entry({ systemName: 's', externalId: 'x'.repeat(1025) }),
      '/externalId',
      'must NOT have more than 1024 characters',
    ],
    [entry({ mediaType: 5 }), '/mediaType', 'must be string'],
    [entry({ asset: 'a.jpg' }), '/asset', 'must be object'],
    [entry({ metadata: [] }), '/metadata', 'must be object'],
    [entry({ metadata: null }), '/metadata', 'must be object'],
    [entry({ translations: {} }), '/translations', 'must be array'],
    [entry({ translations: [{ locale: 'de' }] }), '/translations/0/metadata', 'is required'],
    [entry({ translations: [{ metadata: {} }] }), '/translations/0/locale', 'is required'],
    [
      entry({ translations: [{ locale: 'DE', metadata: {} }] }),
      '/translations/0/locale',
      'must match pattern "^[a-z][a-zA-Z0-9-]+$"',
    ],
    [
      entry({ translations: [{ locale: 'de', metadata: {}, title: 'x' }] }),
      '/translations/0/title',
      'is not an allowed property',
    ],
    [entry({ title: 'x' }), '/title', 'is not an allowed property'],
    [entry({ title: 'a\u0000b' }), '/title', 'must not contain NUL characters or unpaired UTF-16 surrogates'],
    [
      entry({ metadata: { title: 'x\ud800' } }),
      '/metadata/title',
      'must not contain NUL characters or unpaired UTF-16 surrogates',
    ],
  ])('refuses %j: %s %s', (raw, path, message) => {
    expect(failure(raw)).toMatchObject(invalid(path, message))
  })

  it('names every unknown top-level field, not only the first', () => {
    const result = failure(entry({ title: 'x', caption: 'y' }))
    expect(result).toEqual({
      kind: 'validation',
      message: "Invalid entry: '/title' is not an allowed property (and 1 more)",
      errors: [
        { path: '/title', message: 'is not an allowed property' },
        { path: '/caption', message: 'is not an allowed property' },
      ],
    })
  })

  it('refuses a mediaType the project does not have, listing those it has', () => {
    expect(failure(entry({ mediaType: 'picture' }))).toEqual({
      kind: 'validation',
      message:
        "Invalid entry: '/mediaType' must be a media type of the project (image, video, file, photo), got 'picture'",
      errors: [
        {
          path: '/mediaType',
          message: "must be a media type of the project (image, video, file, photo), got 'picture'",
        },
      ],
    })
  })

  it.each([
    ['image', { ...IMAGE_ASSET, width: undefined }, '/asset/width', 'is required'],
    [
      'image',
      { ...IMAGE_ASSET, url: 'https://x.test/a.pdf' },
      '/asset/url',
      'must be a URL ending in .png, .jpg, .jpeg, .gif, .svg, .webp, .mp4, .mov',
    ],
    ['image', { ...IMAGE_ASSET, duration: 3 }, '/asset/duration', 'is not an allowed property'],
    ['image', { ...IMAGE_ASSET, size: -1 }, '/asset/size', 'must be >= 0'],
    ['image', { ...IMAGE_ASSET, size: '1' }, '/asset/size', 'must be number'],
    ['image', { ...IMAGE_ASSET, key: '/abs.jpg' }, '/asset/key', 'must be relative (no leading /)'],
    ['image', { ...IMAGE_ASSET, key: 'a/../b.jpg' }, '/asset/key', "must not contain a '.' or '..' segment"],
    ['image', { ...IMAGE_ASSET, key: 'a/./b.jpg' }, '/asset/key', "must not contain a '.' or '..' segment"],
    ['image', { ...IMAGE_ASSET, key: './x.jpg' }, '/asset/key', "must not contain a '.' or '..' segment"],
    ['image', { ...IMAGE_ASSET, key: 'x/.' }, '/asset/key', "must not contain a '.' or '..' segment"],
    ['image', { ...IMAGE_ASSET, key: '..' }, '/asset/key', "must not contain a '.' or '..' segment"],
    ['image', { ...IMAGE_ASSET, key: 'x//y.jpg' }, '/asset/key', 'must not contain an empty segment (//)'],
    ['image', { ...IMAGE_ASSET, key: 'x/' }, '/asset/key', 'must not end with /'],
    ['image', { ...IMAGE_ASSET, key: 'a\\b.jpg' }, '/asset/key', 'must not contain a backslash'],
    ['image', { ...IMAGE_ASSET, key: 'a\u0085b' }, '/asset/key', 'must not contain control characters'],
    ['image', { ...IMAGE_ASSET, key: 'a\tb' }, '/asset/key', 'must not contain control characters'],
    ['image', { ...IMAGE_ASSET, key: '' }, '/asset/key', 'must not be empty'],
    ['image', { ...IMAGE_ASSET, key: 'x'.repeat(901) }, '/asset/key', 'must be at most 900 bytes of UTF-8'],
    [
      'image',
      { ...IMAGE_ASSET, key: `a/${'x'.repeat(201)}` },
      '/asset/key',
      'must not have a segment longer than 200 bytes of UTF-8',
    ],
    ['video', { ...VIDEO_ASSET, duration: undefined }, '/asset/duration', 'is required'],
    ['video', { ...VIDEO_ASSET, url: 'cdn.example.com/v.mp4' }, '/asset/url', 'must be a URL'],
    ['file', { ...FILE_ASSET, mimeType: undefined }, '/asset/mimeType', 'is required'],
    ['file', { ...FILE_ASSET, duration: 1 }, '/asset/duration', 'is not an allowed property'],
  ])('refuses a %s with asset %j: %s %s', (mediaType, asset, path, message) => {
    const clean = JSON.parse(JSON.stringify(asset)) as unknown
    expect(failure(entry({ mediaType, asset: clean }))).toMatchObject(invalid(path, message))
  })

  it('checks a translation asset against the schema of the entry kind, and refuses a repeated locale', () => {
    const translations = [
      { locale: 'de', metadata: {}, asset: FILE_ASSET },
      { locale: 'de', metadata: {} },
    ]
    expect(failure(entry({ translations }))).toEqual({
      kind: 'validation',
      message: "Invalid entry: '/translations/0/asset/width' is required (and 3 more)",
      errors: [
        { path: '/translations/0/asset/width', message: 'is required' },
        { path: '/translations/0/asset/height', message: 'is required' },
        {
          path: '/translations/0/asset/url',
          message: 'must be a URL ending in .png, .jpg, .jpeg, .gif, .svg, .webp, .mp4, .mov',
        },
        { path: '/translations/1/locale', message: "repeats the locale 'de'" },
      ],
    })
  })

  it('reports metadata errors of the entry and of each translation, tagged with the locale', () => {
    const raw = entry({
      mediaType: 'photo',
      metadata: { rank: 0, author: 'x' },
      translations: [
        { locale: 'de', metadata: { title: 5 } },
        { locale: 'fr', metadata: { rank: 3, title: '' } },
      ],
    })
    expect(failure(raw)).toEqual({
      kind: 'metadata',
      errors: [
        { metadataProperty: 'title', path: '/title', rule: 'is required', custom: 'A photo needs a title' },
        {
          metadataProperty: 'author',
          path: '/author',
          rule: 'is not a metadata property of this media type',
          custom: "Unknown metadata property 'author': media type 'photo' defines title, rank",
        },
        { metadataProperty: 'rank', path: '/rank', rule: 'must be >= 1' },
        { metadataProperty: 'title', path: '/title', rule: 'must be string', translationLocale: 'de' },
        {
          metadataProperty: 'title',
          path: '/title',
          rule: 'must not be empty',
          custom: 'A photo needs a title',
          translationLocale: 'fr',
        },
      ],
    })
  })

  it('gives the seed metadata error for a title that is not a string', () => {
    expect(failure(entry({ id: 'custom-4', metadata: { title: 1 } }))).toEqual({
      kind: 'metadata',
      errors: [{ metadataProperty: 'title', path: '/title', rule: 'must be string' }],
    })
  })

  it('never throws, whatever JSON it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (raw) => {
        const result = check(raw)
        expect(typeof result.ok).toBe('boolean')
      }),
      { numRuns: 300 },
    )
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('id', 'mediaType', 'asset', 'metadata', 'translations', 'systemName', 'externalId'),
          fc.jsonValue(),
        ),
        (raw) => {
          const result = check({ ...entry(), ...raw })
          if (result.ok) expect(result.entry.mediaType).toMatch(/^(image|video|file|photo)$/)
        },
      ),
      { numRuns: 300 },
    )
  })
})
