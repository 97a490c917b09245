import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createAjv } from '../../src/media/ajv.js'
import type { PropertyConfig } from '../../src/media/media-types/media-type.js'
import { checkPropertyDef, METADATA_PLUGINS } from '../../src/media/media-types/metadata-plugins.js'
import { compileMediaType, type MetadataError } from '../../src/media/media-types/metadata-validator.js'

const ajv = createAjv()

/** Compiles a media type with the one property `prop` and validates `{prop: value}`. */
function validatorFor(type: string, config?: PropertyConfig) {
  const def = config ? { handle: 'prop', type, config } : { handle: 'prop', type }
  const compiled = compileMediaType(ajv, { handle: 'image', type: 'mediaImage', metadata: [def] })
  return (value: unknown): MetadataError[] => compiled.validateMetadata({ prop: value })
}

/** The single error expected at `/prop` (or a deeper path) with Ajv's or our wording. */
const at = (rule: string, path = '/prop'): MetadataError[] => [{ metadataProperty: 'prop', path, rule }]

const ISO = 'must be an ISO-8601 date-time string'
const items = (...values: (string | number)[]) => ({
  dataProvider: { type: 'labelValuePair', items: values.map((value) => ({ label: String(value), value })) },
})

interface Row {
  plugin: string
  config?: PropertyConfig
  valid: unknown[]
  invalid: [value: unknown, errors: MetadataError[]][]
}

const TABLE: Row[] = [
  {
    plugin: 'li-text',
    valid: ['', 'A title', 'line\nbreak', 'ü 🐱'],
    invalid: [
      [1, at('must be string')],
      [null, at('must be string')],
      [['a'], at('must be string')],
      [{}, at('must be string')],
      [true, at('must be string')],
    ],
  },
  {
    plugin: 'li-text',
    config: { minLength: 2, maxLength: 5 },
    valid: ['ab', 'abcde'],
    invalid: [
      ['a', at('must NOT have fewer than 2 characters')],
      ['abcdef', at('must NOT have more than 5 characters')],
      [3, at('must be string')],
    ],
  },
  {
    plugin: 'li-text',
    config: { allowNewlines: false },
    valid: ['one line', '', 'tab\there'],
    invalid: [
      ['two\nlines', at('must not contain line breaks')],
      ['carriage\rreturn', at('must not contain line breaks')],
      ['\r\n', at('must not contain line breaks')],
      [5, at('must be string')],
    ],
  },
  { plugin: 'li-text', config: { allowNewlines: true }, valid: ['a\nb'], invalid: [] },
  {
    plugin: 'li-text',
    config: items('news', 'sport'),
    valid: ['news', 'sport'],
    invalid: [
      ['weather', at('must be one of: "news", "sport"')],
      ['', at('must be one of: "news", "sport"')],
      [1, at('must be string')],
    ],
  },
  {
    plugin: 'li-text',
    config: { required: true },
    valid: ['x'],
    invalid: [
      ['', at('must not be empty')],
      [1, at('must be string')],
    ],
  },
  {
    plugin: 'li-boolean',
    valid: [true, false],
    invalid: [
      ['true', at('must be boolean')],
      [0, at('must be boolean')],
      [null, at('must be boolean')],
    ],
  },
  ...['li-integer', 'li-system-integer'].flatMap((plugin): Row[] => [
    {
      plugin,
      valid: [0, -5, 42, 2 ** 40, 3.0],
      invalid: [
        [1.5, at('must be integer')],
        ['1', at('must be integer')],
        [null, at('must be integer')],
        [[1], at('must be integer')],
      ],
    },
    {
      plugin,
      config: { minValue: 1, maxValue: 10 },
      valid: [1, 10],
      invalid: [
        [0, at('must be >= 1')],
        [11, at('must be <= 10')],
        [5.5, at('must be integer')],
      ],
    },
    {
      plugin,
      config: items(1, 2, 3),
      valid: [1, 3],
      invalid: [
        [4, at('must be one of: 1, 2, 3')],
        ['1', at('must be integer')],
      ],
    },
  ]),
  {
    plugin: 'li-enum',
    config: items('free', 'licensed'),
    valid: ['free', 'licensed'],
    invalid: [
      ['Free', at('must be one of: "free", "licensed"')],
      ['', at('must be one of: "free", "licensed"')],
      [1, at('must be string')],
      [['free'], at('must be string')],
    ],
  },
  {
    plugin: 'li-string-list',
    config: { dataProvider: { dataSource: 'tags' } },
    valid: [[], ['a'], ['a', 'b', 'a']],
    invalid: [
      ['a', at('must be array')],
      [[1], at('must be string', '/prop/0')],
      [['a', null], at('must be string', '/prop/1')],
      [{ 0: 'a' }, at('must be array')],
    ],
  },
  {
    plugin: 'li-string-list',
    config: { ...items('red', 'blue'), maxItems: 2 },
    valid: [[], ['red'], ['red', 'blue']],
    invalid: [
      [['green'], at('must be one of: "red", "blue"', '/prop/0')],
      [['red', 'blue', 'red'], at('must NOT have more than 2 items')],
      [[2], at('must be string', '/prop/0')],
    ],
  },
  {
    plugin: 'li-numeric-list',
    valid: [[], [1, 2, 3], [-1, 0]],
    invalid: [
      [1, at('must be array')],
      [[1.5], at('must be integer', '/prop/0')],
      [[1, '2'], at('must be integer', '/prop/1')],
    ],
  },
  {
    plugin: 'li-numeric-list',
    config: { maxItems: 1 },
    valid: [[7]],
    invalid: [[[1, 2], at('must NOT have more than 1 items')]],
  },
  {
    plugin: 'li-date',
    valid: ['2026-01-31', '2024-02-29'],
    invalid: [
      ['2026-02-30', at('must be an ISO-8601 date (YYYY-MM-DD)')],
      ['2023-02-29', at('must be an ISO-8601 date (YYYY-MM-DD)')],
      ['31.01.2026', at('must be an ISO-8601 date (YYYY-MM-DD)')],
      ['2026-01-31T10:00:00Z', at('must be an ISO-8601 date (YYYY-MM-DD)')],
      [20260131, at('must be an ISO-8601 date (YYYY-MM-DD)')],
    ],
  },
  ...['li-datetime', 'li-system-datetime'].map((plugin): Row => ({
    plugin,
    valid: ['2026-01-31T10:00:00Z', '2026-01-31T10:00:00.123+01:00', '2026-01-31T23:59:59-05:30'],
    invalid: [
      ['2026-01-31', at(ISO)],
      ['2026-01-31T10:00:00', at(ISO)],
      ['2026-01-32T10:00:00Z', at(ISO)],
      ['yesterday', at(ISO)],
      [1767225600000, at(ISO)],
    ],
  })),
  {
    plugin: 'li-datetime-validity',
    valid: [
      {},
      { from: '2026-01-01T00:00:00Z' },
      { from: '2026-01-01T00:00:00Z', to: '2026-12-31T00:00:00Z' },
    ],
    invalid: [
      ['2026-01-01T00:00:00Z', at('must be object')],
      [{ from: '2026-01-01' }, at(ISO, '/prop/from')],
      [{ to: 5 }, at(ISO, '/prop/to')],
      [{ from: '2026-01-01T00:00:00Z', until: 'x' }, at('is not an allowed property', '/prop/until')],
    ],
  },
  {
    plugin: 'li-invalid',
    valid: [true, false],
    invalid: [['yes', at('must be boolean')]],
  },
  {
    plugin: 'li-color',
    valid: ['#8CBA51', '#8cba51', '#fff'],
    invalid: [
      ['8CBA51', at('must be a hex color such as #8CBA51')],
      ['#8CBA5', at('must be a hex color such as #8CBA51')],
      ['#GGGGGG', at('must be a hex color such as #8CBA51')],
      ['red', at('must be a hex color such as #8CBA51')],
      [0x8cba51, at('must be a hex color such as #8CBA51')],
    ],
  },
  ...['li-external-id', 'li-media-handle'].map((plugin): Row => ({
    plugin,
    valid: ['abc-123', ''],
    invalid: [
      [123, at('must be string')],
      [{ id: 'a' }, at('must be string')],
    ],
  })),
  {
    plugin: 'li-license-profile',
    valid: [{ handle: 'editorial' }],
    invalid: [
      ['editorial', at('must be object')],
      [{}, at('is required', '/prop/handle')],
      [{ handle: '' }, at('must NOT have fewer than 1 characters', '/prop/handle')],
      [{ handle: 'a', label: 'A' }, at('is not an allowed property', '/prop/label')],
    ],
  },
]

const crop = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  x: 0,
  y: 10,
  width: 100,
  height: 50,
  ...extra,
})

TABLE.push(
  {
    plugin: 'li-named-crops',
    valid: [
      {},
      { crops: [] },
      { crops: [crop('any'), crop('16:9', { isAutomatic: true })], focalPoint: { x: 0.5, y: 0.5 } },
    ],
    invalid: [
      [[], at('must be object')],
      [{ crops: {} }, at('must be array', '/prop/crops')],
      [{ crops: [{ name: 'a', x: 0, y: 0, width: 1 }] }, at('is required', '/prop/crops/0/height')],
      [{ crops: [crop('a', { x: -1 })] }, at('must be >= 0', '/prop/crops/0/x')],
      [{ crops: [crop('a', { z: 1 })] }, at('is not an allowed property', '/prop/crops/0/z')],
      [{ focalPoint: { x: 1 } }, at('is required', '/prop/focalPoint/y')],
      [{ rotation: 90 }, at('is not an allowed property', '/prop/rotation')],
    ],
  },
  {
    plugin: 'li-named-crops',
    config: { namedCrops: [{ name: 'square' }, { name: 'wide', isOptional: true }] },
    valid: [{ crops: [crop('square')] }, { crops: [crop('wide'), crop('square')] }],
    invalid: [
      [{}, at('is required', '/prop/crops')],
      [{ crops: [crop('wide')] }, at("must contain the crop 'square'", '/prop/crops')],
      [
        { crops: [crop('square'), crop('portrait')] },
        at('must be one of: "square", "wide"', '/prop/crops/1/name'),
      ],
    ],
  },
)

describe('metadata plugins: valid and invalid values', () => {
  for (const row of TABLE) {
    const label = `${row.plugin} ${row.config ? JSON.stringify(row.config) : '(no config)'}`
    describe(label, () => {
      const validate = validatorFor(row.plugin, row.config)
      it.each(row.valid.map((v) => [JSON.stringify(v), v]))('accepts %s', (_, value) => {
        expect(validate(value)).toEqual([])
      })
      if (row.invalid.length > 0) {
        it.each(row.invalid.map(([v, e]) => [JSON.stringify(v), v, e]))('rejects %s', (_, value, errors) => {
          expect(validate(value)).toEqual(errors)
        })
      }
    })
  }

  it('covers every plugin the server supports', () => {
    expect(new Set(TABLE.map((r) => r.plugin))).toEqual(new Set(Object.keys(METADATA_PLUGINS)))
  })

  it('reports the first problem of each crop, one per crop', () => {
    const validate = validatorFor('li-named-crops', { namedCrops: [{ name: 'a' }, { name: 'b' }] })
    expect(validate({ crops: [crop('x'), crop('a', { width: 'w' })] })).toEqual([
      { metadataProperty: 'prop', path: '/prop/crops', rule: "must contain the crop 'b'" },
      { metadataProperty: 'prop', path: '/prop/crops/0/name', rule: 'must be one of: "a", "b"' },
      { metadataProperty: 'prop', path: '/prop/crops/1/width', rule: 'must be number' },
    ])
  })
})

describe('metadata plugins: properties', () => {
  const runs = { numRuns: 300 }
  const noBreaks = fc.string({ unit: 'binary' }).filter((s) => !/[\r\n]/.test(s))

  it('li-text with allowNewlines:false accepts any string without a line break', () => {
    const validate = validatorFor('li-text', { allowNewlines: false })
    fc.assert(
      fc.property(noBreaks, (s) => validate(s).length === 0),
      runs,
    )
  })

  it('li-text with allowNewlines:false rejects any string with a line break', () => {
    const validate = validatorFor('li-text', { allowNewlines: false })
    const withBreak = fc
      .tuple(noBreaks, fc.constantFrom('\n', '\r', '\r\n'), noBreaks)
      .map(([a, b, c]) => a + b + c)
    fc.assert(
      fc.property(withBreak, (s) => {
        expect(validate(s)).toEqual(at('must not contain line breaks'))
      }),
      runs,
    )
  })

  it('li-text rejects any value that is not a string, with "must be string"', () => {
    const validate = validatorFor('li-text', { allowNewlines: false, maxLength: 3, required: true })
    fc.assert(
      fc.property(
        fc.jsonValue().filter((v) => typeof v !== 'string'),
        (v) => {
          expect(validate(v)).toEqual(at('must be string'))
        },
      ),
      runs,
    )
  })

  it('li-text maxLength counts characters (code points), not UTF-16 units', () => {
    const validate = validatorFor('li-text', { maxLength: 4 })
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 4 }), (s) => validate(s).length === 0),
    )
    expect(validate('🐱🐱🐱🐱')).toEqual([])
    expect(validate('🐱🐱🐱🐱🐱')).toEqual(at('must NOT have more than 4 characters'))
  })

  it('li-integer with bounds accepts exactly the integers in range', () => {
    const validate = validatorFor('li-integer', { minValue: -10, maxValue: 10 })
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: true })), (n) => {
        const ok = Number.isInteger(n) && n >= -10 && n <= 10
        expect(validate(n).length === 0).toBe(ok)
      }),
      runs,
    )
  })

  it('li-color accepts exactly #rgb and #rrggbb', () => {
    const validate = validatorFor('li-color')
    const hex = fc.constantFrom(...'0123456789abcdefABCDEF')
    const color = fc.oneof(
      fc.array(hex, { minLength: 3, maxLength: 3 }),
      fc.array(hex, { minLength: 6, maxLength: 6 }),
    )
    fc.assert(fc.property(color, (digits) => validate(`#${digits.join('')}`).length === 0))
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(s)),
        (s) => validate(s).length === 1,
      ),
    )
  })
})

describe('checkPropertyDef: plugin config', () => {
  const problems = (type: string, config?: unknown) =>
    checkPropertyDef({ handle: 'prop', type, config: config as PropertyConfig })

  it.each([
    ['li-text', { minLength: 1, maxLength: 10, allowNewlines: false, required: true }],
    ['li-text', { requiredErrorMessage: 'Please add a title', translatable: true, index: true }],
    ['li-text', items('a', 'b')],
    ['li-text', { dataProvider: { dataSource: 'x' } }],
    ['li-integer', { minValue: -1.5, maxValue: 3, ...items(1, 2) }],
    ['li-system-integer', { minValue: 0 }],
    ['li-enum', items('a')],
    ['li-string-list', { dataProvider: { dataSource: 'tags' }, maxItems: 0 }],
    ['li-numeric-list', { maxItems: 3 }],
    ['li-named-crops', { namedCrops: [{ name: 'a' }, { name: 'b', isOptional: true }] }],
    ['li-boolean', { required: false }],
    ['li-date', undefined],
  ])('%s accepts %j', (type, config) => {
    expect(problems(type, config)).toEqual([])
  })

  it.each([
    ['li-category', {}, /^uses the unsupported plugin 'li-category' \(supported: li-text, li-boolean, /],
    ['li-image', {}, /^uses the unsupported plugin 'li-image'/],
    ['li-text', { minLength: '3' }, /^config\.minLength must be a whole number of 0 or more, got "3"$/],
    ['li-text', { minLength: -1 }, /^config\.minLength must be a whole number of 0 or more, got -1$/],
    ['li-text', { maxLength: 1.5 }, /^config\.maxLength must be a whole number of 0 or more, got 1.5$/],
    ['li-numeric-list', { maxItems: -2 }, /^config\.maxItems must be a whole number/],
    ['li-integer', { minValue: 'low' }, /^config\.minValue must be a number, got "low"$/],
    ['li-integer', { maxValue: null }, /^config\.maxValue must be a number, got null$/],
    [
      'li-text',
      { minLength: 5, maxLength: 2 },
      /^config\.minLength \(5\) is greater than config\.maxLength \(2\)/,
    ],
    [
      'li-integer',
      { minValue: 3, maxValue: 1 },
      /^config\.minValue \(3\) is greater than config\.maxValue \(1\)/,
    ],
    ['li-text', { required: 'yes' }, /^config\.required must be a boolean$/],
    ['li-text', { allowNewlines: 0 }, /^config\.allowNewlines must be a boolean$/],
    ['li-text', { translatable: 'no' }, /^config\.translatable must be a boolean$/],
    ['li-text', { requiredErrorMessage: 5 }, /^config\.requiredErrorMessage must be a string$/],
    [
      'li-text',
      { dataProvider: { items: 'a,b' } },
      /^config\.dataProvider\.items must be a list of \{label, value\}$/,
    ],
    ['li-text', { dataProvider: { items: [null] } }, /^config\.dataProvider\.items must be a list/],
    ['li-text', { dataProvider: { items: [{ label: 'A' }] } }, /^config\.dataProvider\.items must be a list/],
    ['li-enum', {}, /^needs config\.dataProvider\.items \(the allowed values\)$/],
    ['li-enum', { dataProvider: { items: [] } }, /^needs config\.dataProvider\.items/],
    ['li-enum', items('a', 'a'), /^config\.dataProvider\.items repeats the value "a"$/],
    ['li-enum', items(1, 2), /^config\.dataProvider\.items values must be strings for li-enum, got 1$/],
    [
      'li-string-list',
      items('x', 2),
      /^config\.dataProvider\.items values must be strings for li-string-list, got 2$/,
    ],
    [
      'li-integer',
      items(1, 'two'),
      /^config\.dataProvider\.items values must be integers for li-integer, got "two"$/,
    ],
    ['li-string-list', {}, /^needs config\.dataProvider \(items or dataSource\)$/],
    [
      'li-named-crops',
      { namedCrops: 'square' },
      /^config\.namedCrops must be a list of \{name, isOptional\?\}$/,
    ],
    ['li-named-crops', { namedCrops: [{ title: 'a' }] }, /^config\.namedCrops must be a list/],
    [
      'li-named-crops',
      { namedCrops: [{ name: 'a' }, { name: 'a' }] },
      /^config\.namedCrops repeats the name 'a'$/,
    ],
    ['li-boolean', { required: true }, /^cannot be required \(li-boolean has no empty value\)$/],
  ])('%s rejects %j', (type, config, message) => {
    const found = problems(type, config)
    expect(found).toHaveLength(1)
    expect(found[0]).toMatch(message)
  })

  it('lists every problem of one definition', () => {
    expect(problems('li-text', { minLength: -1, required: 'no', requiredErrorMessage: 1 })).toEqual([
      'config.minLength must be a whole number of 0 or more, got -1',
      'config.required must be a boolean',
      'config.requiredErrorMessage must be a string',
    ])
  })

  it('every config it accepts compiles (no Ajv schema error at load time)', () => {
    const nat = fc.option(fc.nat({ max: 20 }), { nil: undefined })
    const config = fc.record(
      {
        minLength: nat,
        maxLength: nat,
        maxItems: nat,
        minValue: fc.option(fc.integer(), { nil: undefined }),
        maxValue: fc.option(fc.integer(), { nil: undefined }),
        allowNewlines: fc.option(fc.boolean(), { nil: undefined }),
        required: fc.option(fc.boolean(), { nil: undefined }),
        dataProvider: fc.option(
          fc.record({
            items: fc.array(fc.record({ label: fc.string(), value: fc.oneof(fc.string(), fc.integer()) }), {
              maxLength: 4,
            }),
          }),
          { nil: undefined },
        ),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(METADATA_PLUGINS)), config, (type, cfg) => {
        const def = { handle: 'prop', type, config: cfg as PropertyConfig }
        if (checkPropertyDef(def).length > 0) return
        expect(() =>
          compileMediaType(ajv, { handle: 'image', type: 'mediaImage', metadata: [def] }),
        ).not.toThrow()
      }),
      { numRuns: 200 },
    )
  })
})
