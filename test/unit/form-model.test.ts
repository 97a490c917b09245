import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fieldProblem, formProblems, problemsSummary, type FieldDef } from '../../ui/form-model.js'

const title: FieldDef = {
  handle: 'title',
  type: 'li-text',
  config: { required: true, maxLength: 20, minLength: 2 },
}
const count: FieldDef = { handle: 'count', type: 'li-integer', config: { minValue: 1, maxValue: 10 } }
const kind: FieldDef = {
  handle: 'kind',
  type: 'li-enum',
  config: { dataProvider: { items: [{ value: 'news', label: 'News' }, { value: 'opinion' }] } },
}
const tags: FieldDef = { handle: 'tags', type: 'li-string-list', config: { maxItems: 2 } }

describe('metadata form model', () => {
  it('names what is wrong with each kind of field, as the config says', () => {
    expect(fieldProblem(title, undefined)).toBe('is required')
    expect(fieldProblem(title, 'x')).toBe('must have at least 2 characters (has 1)')
    expect(fieldProblem(title, 'x'.repeat(21))).toBe('must have at most 20 characters (has 21)')
    expect(fieldProblem(title, 'Fine')).toBeUndefined()
    expect(fieldProblem({ handle: 't', type: 'li-text', config: { allowNewlines: false } }, 'a\nb')).toBe(
      'must not contain line breaks',
    )
    expect(fieldProblem(count, 'abc')).toBe('must be a whole number')
    expect(fieldProblem(count, 0)).toBe('must be at least 1')
    expect(fieldProblem(count, 11)).toBe('must be at most 10')
    expect(fieldProblem(count, undefined)).toBeUndefined()
    expect(fieldProblem(kind, 'sports')).toBe('must be one of: News, opinion')
    expect(fieldProblem(kind, 'news')).toBeUndefined()
    expect(fieldProblem(tags, ['a', 'b', 'c'])).toBe('must have at most 2 items (has 3)')
    expect(fieldProblem({ handle: 'd', type: 'li-date' }, '2026-02-30')).toBe('must be a date (YYYY-MM-DD)')
    expect(fieldProblem({ handle: 'd', type: 'li-date' }, '2024-02-29')).toBeUndefined()
    expect(fieldProblem({ handle: 'd', type: 'li-datetime' }, '2026-01-31 12:00')).toMatch(
      /^must be an ISO-8601/,
    )
    expect(fieldProblem({ handle: 'd', type: 'li-datetime' }, '2026-01-31T12:00:00Z')).toBeUndefined()
    expect(fieldProblem({ handle: 'c', type: 'li-color' }, '#12345')).toMatch(/^must be a hex color/)
  })

  it('length counts characters, not UTF-16 units, and the bound is exact', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const n = [...s].length
        const p = fieldProblem({ handle: 't', type: 'li-text', config: { maxLength: 20 } }, s)
        expect(p === undefined).toBe(n <= 20)
      }),
    )
  })

  it('collects the problems of a form by field and says how many', () => {
    expect(formProblems([title, count, kind], { title: '', count: 3, kind: 'x' })).toEqual({
      title: 'is required',
      kind: 'must be one of: News, opinion',
    })
    expect(problemsSummary(1)).toBe('1 field is not valid')
    expect(problemsSummary(2)).toBe('2 fields are not valid')
  })
})
