import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/errors.js'
import { createAjv } from '../../src/media/ajv.js'
import { defaultMediaTypes } from '../../src/media/media-types/media-type.js'
import { normalizeMediaTypes, readMediaTypesFile } from '../../src/media/media-types/media-types-config.js'
import { METADATA_PLUGINS } from '../../src/media/media-types/metadata-plugins.js'
import { compileMediaType } from '../../src/media/media-types/metadata-validator.js'

const FIXTURES = path.resolve('test/fixtures/media-types')
const fixture = (name: string) => path.join(FIXTURES, name)

const DEFAULT_IMAGE = defaultMediaTypes()[0]

/** The problems of a refused config, one per line, without the header. */
function problemsOf(fn: () => unknown): string[] {
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(UsageError)
  const [header, ...lines] = (error as Error).message.split('\n')
  expect(header).toBe('Invalid media types:')
  return lines.map((l) => l.replace(/^ {2}- /, ''))
}

describe('readMediaTypesFile', () => {
  it('reads a YAML file with every supported plugin and keeps its definitions', () => {
    const types = readMediaTypesFile(fixture('all-plugins.yaml'))
    expect(types.map((t) => [t.handle, t.type])).toEqual([
      ['image', 'mediaImage'],
      ['video', 'mediaVideo'],
      ['file', 'mediaFile'],
    ])
    const image = types[0]!
    expect(new Set(image.metadata.map((d) => d.type))).toEqual(new Set(Object.keys(METADATA_PLUGINS)))
    expect(image.info).toEqual({ label: 'Image', description: 'Photos and graphics' })
    expect(image.asset).toEqual({ translatable: true, replaceable: true })
    expect(image.metadata[0]).toEqual({
      handle: 'title',
      type: 'li-text',
      config: {
        required: true,
        requiredErrorMessage: 'Please add a title',
        maxLength: 200,
        allowNewlines: false,
        index: true,
      },
      ui: { label: 'Title' },
    })
    expect(types[1]).toEqual({ handle: 'video', type: 'mediaVideo', metadata: [] })
    const ajv = createAjv()
    for (const t of types) expect(() => compileMediaType(ajv, t)).not.toThrow()
  })

  it('reads a JSON file (a bare list) and adds the image media type it lacks, first', () => {
    expect(readMediaTypesFile(fixture('all-plugins.json'))).toEqual([
      DEFAULT_IMAGE,
      {
        handle: 'video',
        type: 'mediaVideo',
        metadata: [
          { handle: 'title', type: 'li-text', config: { required: true } },
          { handle: 'duration-note', type: 'li-text' },
        ],
      },
    ])
  })

  it('reads JSON content from a .yaml file too (YAML is a superset)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medialib-types-'))
    const file = path.join(dir, 'types.yaml')
    writeFileSync(file, JSON.stringify({ mediaTypes: [{ handle: 'image', type: 'mediaImage' }] }))
    expect(readMediaTypesFile(file)).toEqual([{ handle: 'image', type: 'mediaImage', metadata: [] }])
  })

  it('names the file and the reason when it cannot be read', () => {
    const file = fixture('missing.yaml')
    expect(() => readMediaTypesFile(file)).toThrow(UsageError)
    expect(() => readMediaTypesFile(file)).toThrow(`Cannot read media types file ${file}: ENOENT`)
  })

  it('names the file and the line when it cannot be parsed', () => {
    const file = fixture('malformed.yaml')
    expect(() => readMediaTypesFile(file)).toThrow(UsageError)
    expect(() => readMediaTypesFile(file)).toThrow(
      new RegExp(`^Cannot parse media types file ${file.replace(/[.]/g, '\\.')}: .* at line 4, column 1`),
    )
  })

  it('refuses invalid JSON in a .json file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medialib-types-'))
    const file = path.join(dir, 'types.json')
    writeFileSync(file, '[{"handle": "image",]')
    expect(() => readMediaTypesFile(file)).toThrow(`Cannot parse media types file ${file}:`)
  })

  it('lists every problem of a file at once, each with where it is and what was found', () => {
    expect(problemsOf(() => readMediaTypesFile(fixture('typos.yaml')))).toEqual([
      "mediaTypes[0] 'image' has the unknown key 'metdata' (known keys: handle, type, info, metadata, asset, exifExtraction, hugoExtraction, comyanExtraction, mediaSources, deletionRoutine, editor, managementDashboard, hidden, uploadRestrictions)",
      "mediaTypes[0] 'image'.type must be mediaImage: the media type 'image' receives image uploads",
      "mediaTypes[1] 'photo'.metadata[0] 'title' config.minLength (10) is greater than config.maxLength (5): no value could pass",
      "mediaTypes[1] 'photo'.metadata[1] 'title': the handle is used twice",
      "mediaTypes[1] 'photo'.metadata[2] 'rank' config.minValue must be a number, got \"1\"",
      "mediaTypes[1] 'photo'.metadata[3] 'rights' needs config.dataProvider.items (the allowed values)",
      "mediaTypes[1] 'photo'.metadata[4] 'caption' has the unknown key 'typ' (known keys: handle, type, config, ui)",
      "mediaTypes[1] 'photo'.metadata[4] 'caption'.type must be a plugin name such as li-text",
      "mediaTypes[2] 'photo': the handle is used twice",
    ])
  })

  it('refuses bad handles, kinds and unsupported plugins (the CLI fixture)', () => {
    const problems = problemsOf(() => readMediaTypesFile(fixture('bad.yaml')))
    expect(problems).toEqual([
      'mediaTypes[0].handle must match ^[a-z][a-zA-Z0-9-]{2,49}$ (a lowercase letter, then 2 to 49 letters, digits or -), got "Photo"',
      'mediaTypes[0] \'Photo\'.type must be one of mediaImage, mediaVideo, mediaFile, got "mediaPicture"',
      'mediaTypes[0] \'Photo\'.metadata[0].handle must match ^[a-zA-Z][a-zA-Z0-9-_]{2,49}$ (a letter, then 2 to 49 letters, digits, - or _), got "t"',
      `mediaTypes[0] 'Photo'.metadata[1] 'category' uses the unsupported plugin 'li-category' (supported: ${Object.keys(METADATA_PLUGINS).join(', ')})`,
    ])
  })
})

describe('normalizeMediaTypes', () => {
  it('accepts a list or {mediaTypes: list}', () => {
    const list = [{ handle: 'image', type: 'mediaImage', metadata: [{ handle: 'title', type: 'li-text' }] }]
    const expected = [
      { handle: 'image', type: 'mediaImage', metadata: [{ handle: 'title', type: 'li-text' }] },
    ]
    expect(normalizeMediaTypes(list)).toEqual(expected)
    expect(normalizeMediaTypes({ mediaTypes: list })).toEqual(expected)
  })

  it.each([null, undefined, 'image', 42, {}, { mediaTypes: 'image' }, { mediaTypes: null }])(
    'refuses %j with a clear message',
    (raw) => {
      expect(() => normalizeMediaTypes(raw)).toThrow(
        new UsageError('Media types must be a list, or an object with a mediaTypes list'),
      )
    },
  )

  it('adds the default image media type to an empty list', () => {
    expect(normalizeMediaTypes([])).toEqual([DEFAULT_IMAGE])
    expect(DEFAULT_IMAGE).toEqual({
      handle: 'image',
      type: 'mediaImage',
      metadata: [
        { handle: 'title', type: 'li-text', config: { index: true } },
        { handle: 'caption', type: 'li-text', config: { index: true } },
        { handle: 'source', type: 'li-text' },
        { handle: 'description', type: 'li-text', config: { index: true } },
      ],
    })
  })

  it('does not add image when one is configured, and allows more types of each kind', () => {
    const types = normalizeMediaTypes([
      { handle: 'photo', type: 'mediaImage' },
      { handle: 'image', type: 'mediaImage', metadata: [] },
      { handle: 'clip', type: 'mediaVideo' },
      { handle: 'file', type: 'mediaFile' },
    ])
    expect(types.map((t) => t.handle)).toEqual(['photo', 'image', 'clip', 'file'])
  })

  it('keeps info and asset, drops keys it knows but does not implement, and ignores a non-object ui', () => {
    const [image] = normalizeMediaTypes([
      {
        handle: 'image',
        type: 'mediaImage',
        info: { label: 'Bild' },
        asset: { replaceable: false },
        mediaSources: [],
        hidden: false,
        metadata: [{ handle: 'title', type: 'li-text', ui: 'Title' }],
      },
    ])
    expect(image).toEqual({
      handle: 'image',
      type: 'mediaImage',
      info: { label: 'Bild' },
      asset: { replaceable: false },
      metadata: [{ handle: 'title', type: 'li-text' }],
    })
  })

  it.each([
    [['image'], 'mediaTypes[0] must be an object'],
    [[{ handle: 'ab', type: 'mediaImage' }], 'mediaTypes[0].handle must match'],
    [
      [
        { handle: 'image-', type: 'mediaImage' },
        { handle: 'img_x', type: 'mediaImage' },
      ],
      'mediaTypes[1].handle must match ^[a-z][a-zA-Z0-9-]{2,49}$ (a lowercase letter, then 2 to 49 letters, digits or -), got "img_x"',
    ],
    [
      [{ handle: 'image' }],
      "mediaTypes[0] 'image'.type must be one of mediaImage, mediaVideo, mediaFile, got undefined",
    ],
    [
      [{ handle: 'image', type: 'mediaImage', metadata: {} }],
      "mediaTypes[0] 'image'.metadata must be a list",
    ],
    [
      [{ handle: 'image', type: 'mediaImage', metadata: ['title'] }],
      "mediaTypes[0] 'image'.metadata[0] must be an object",
    ],
    [
      [{ handle: 'image', type: 'mediaImage', metadata: [{ handle: '1st', type: 'li-text' }] }],
      "mediaTypes[0] 'image'.metadata[0].handle must match",
    ],
    [
      [{ handle: 'image', type: 'mediaImage', metadata: [{ handle: 'title' }] }],
      "mediaTypes[0] 'image'.metadata[0] 'title'.type must be a plugin name such as li-text",
    ],
    [
      [{ handle: 'image', type: 'mediaImage', metadata: [{ handle: 'title', type: 'li-text', config: [] }] }],
      "mediaTypes[0] 'image'.metadata[0] 'title'.config must be an object",
    ],
    [
      [{ handle: 'image', type: 'mediaImage', metadata: [{ handle: 'title', type: 'li-image' }] }],
      "mediaTypes[0] 'image'.metadata[0] 'title' uses the unsupported plugin 'li-image'",
    ],
    [
      [
        {
          handle: 'image',
          type: 'mediaImage',
          metadata: [{ handle: 'flag', type: 'li-boolean', config: { required: true } }],
        },
      ],
      "mediaTypes[0] 'image'.metadata[0] 'flag' cannot be required (li-boolean has no empty value)",
    ],
    [[{ handle: 'image', type: 'mediaVideo' }], "mediaTypes[0] 'image'.type must be mediaImage"],
  ])('refuses %j', (raw, problem) => {
    const problems = problemsOf(() => normalizeMediaTypes(raw))
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(problem)
  })

  it('accepts property handles with - and _, and the shortest and longest handles', () => {
    const long = `a${'b'.repeat(49)}`
    const types = normalizeMediaTypes([
      {
        handle: 'img',
        type: 'mediaImage',
        metadata: [
          { handle: 'my_prop-1', type: 'li-text' },
          { handle: 'Abc', type: 'li-text' },
          { handle: long, type: 'li-text' },
        ],
      },
      { handle: long, type: 'mediaFile' },
    ])
    expect(types.map((t) => t.handle)).toEqual(['image', 'img', long])
    expect(() => normalizeMediaTypes([{ handle: `${long}c`, type: 'mediaFile' }])).toThrow(
      'handle must match',
    )
  })

  it('every config it accepts compiles: a bad one is refused now, not on every later request', () => {
    for (const config of [
      { minLength: -1 },
      { maxLength: 2.5 },
      { dataProvider: { items: [{ value: 'a' }, { value: 'a' }] } },
    ]) {
      const raw = [
        { handle: 'image', type: 'mediaImage', metadata: [{ handle: 'title', type: 'li-text', config }] },
      ]
      expect(problemsOf(() => normalizeMediaTypes(raw))).toHaveLength(1)
    }
  })
})
