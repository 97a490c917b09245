import { describe, expect, it } from 'vitest'
import {
  fieldKind,
  fromLocalDateTime,
  helpOf,
  labelOf,
  type PropertyDef,
  readText,
  toLocalDateTime,
  toText,
  toValue,
} from '../../ui/field-model.js'

const def = (type: string, config?: PropertyDef['config'], handle = 'p'): PropertyDef => ({
  handle,
  type,
  config,
})
const ITEMS = { dataProvider: { items: [{ label: 'Free to use', value: 'free' }, { value: 'licensed' }] } }

describe('the entry form field model (ui/field-model.ts)', () => {
  it('gives each li-* plugin its natural control', () => {
    expect(fieldKind(def('li-text'))).toBe('text')
    expect(fieldKind(def('li-text', { allowNewlines: true }))).toBe('textarea')
    expect(fieldKind(def('li-text', { maxLength: 201 }))).toBe('textarea')
    expect(fieldKind(def('li-text', { maxLength: 200 }))).toBe('text')
    // No line breaks allowed: one line, however long the limit.
    expect(fieldKind(def('li-text', { maxLength: 5000, allowNewlines: false }))).toBe('text')
    // The default prose properties of a media type without config.
    expect(fieldKind(def('li-text', undefined, 'description'))).toBe('textarea')
    expect(fieldKind(def('li-text', { maxLength: 40 }, 'caption'))).toBe('text')
    expect(fieldKind({ handle: 'x', type: 'li-text', ui: { component: 'liMetaTextareaForm' } })).toBe(
      'textarea',
    )
    expect(fieldKind(def('li-text', ITEMS))).toBe('select')
    expect(fieldKind(def('li-enum', ITEMS))).toBe('select')
    expect(fieldKind(def('li-boolean'))).toBe('checkbox')
    expect(fieldKind(def('li-integer'))).toBe('number')
    expect(fieldKind(def('li-date'))).toBe('date')
    expect(fieldKind(def('li-datetime'))).toBe('datetime')
    expect(fieldKind(def('li-string-list'))).toBe('chips')
    expect(fieldKind(def('li-numeric-list'))).toBe('json')
  })

  it('labels and explains a field from the config, else by its handle', () => {
    expect(labelOf(def('li-text', { label: 'Headline' }, 'title'))).toBe('Headline')
    expect(labelOf({ handle: 'title', type: 'li-text', ui: { label: 'Title (UI)' } })).toBe('Title (UI)')
    expect(labelOf(def('li-text', undefined, 'title'))).toBe('title')
    expect(helpOf(def('li-text', { description: 'What readers see first.' }))).toBe('What readers see first.')
    expect(helpOf(def('li-text'))).toBeUndefined()
  })

  it('round-trips values through the text a control edits', () => {
    const list = def('li-string-list')
    expect(toText(list, ['a', 'b'])).toBe('a\nb')
    expect(toValue(list, 'a\n \nb ')).toEqual(['a', 'b'])
    expect(toValue(list, '')).toBeUndefined()
    const n = def('li-integer')
    expect(toValue(n, toText(n, 7))).toBe(7)
    expect(toValue(n, 'abc')).toBe('abc') // left for the form model to name
    const box = def('li-boolean')
    expect(toText(box, undefined)).toBe(false)
    expect(toValue(box, false)).toBeUndefined()
    expect(toValue(def('li-enum', ITEMS), 'licensed')).toBe('licensed')
    expect(() => toValue(def('li-numeric-list'), '[1,')).toThrow('is not valid JSON')
  })

  it('shows date-times in local time and stores them as ISO instants', () => {
    const dt = def('li-datetime')
    const iso = '2026-03-04T10:30:15.000Z'
    const local = toText(dt, iso) as string
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/)
    expect(toValue(dt, local)).toBe(iso)
    expect(fromLocalDateTime(toLocalDateTime('2026-12-31T23:59:59Z'))).toBe('2026-12-31T23:59:59.000Z')
    // Not a date-time: kept as typed, for the form model to refuse.
    expect(fromLocalDateTime('soon')).toBe('soon')
    expect(toLocalDateTime('soon')).toBe('soon')
  })

  it('gives a read-only session plain words', () => {
    expect(readText(def('li-boolean'), true)).toBe('Yes')
    expect(readText(def('li-boolean'), undefined)).toBe('No')
    expect(readText(def('li-enum', ITEMS), 'free')).toBe('Free to use')
    expect(readText(def('li-enum', ITEMS), 'licensed')).toBe('licensed')
    expect(readText(def('li-string-list'), ['a', 'b'])).toBe('a, b')
    expect(readText(def('li-string-list'), [])).toBe('—')
    expect(readText(def('li-text'), '')).toBe('—')
    expect(readText(def('li-datetime'), '2026-03-04T10:30:15Z')).toBe('2026-03-04 10:30:15 UTC')
    expect(readText(def('li-integer'), 0)).toBe('0')
    expect(readText(def('li-named-crops'), { crops: [] })).toBe('{\n  "crops": []\n}')
  })
})
