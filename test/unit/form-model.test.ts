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
  it('names what is wrong with each kind of field, as the config says, in the API’s wording', () => {
    expect(fieldProblem(title, undefined)).toBe("The value of '/title' is required")
    expect(fieldProblem(title, 'x')).toBe("The value of '/title' must NOT have fewer than 2 characters")
    expect(fieldProblem(title, 'x'.repeat(21))).toBe(
      "The value of '/title' must NOT have more than 20 characters",
    )
    expect(fieldProblem(title, 'Fine')).toBeUndefined()
    expect(fieldProblem({ handle: 't', type: 'li-text', config: { allowNewlines: false } }, 'a\nb')).toMatch(
      / must not contain line breaks$/,
    )
    expect(fieldProblem(count, 'abc')).toBe("The value of '/count' must be integer")
    expect(fieldProblem(count, 0)).toBe("The value of '/count' must be >= 1")
    expect(fieldProblem(count, 11)).toBe("The value of '/count' must be <= 10")
    expect(fieldProblem(count, undefined)).toBeUndefined()
    expect(fieldProblem(kind, 'sports')).toBe('The value of \'/kind\' must be one of: "news", "opinion"')
    expect(fieldProblem(kind, 'news')).toBeUndefined()
    expect(fieldProblem(tags, ['a', 'b', 'c'])).toBe("The value of '/tags' must NOT have more than 2 items")
    expect(fieldProblem({ handle: 'd', type: 'li-date' }, '2026-02-30')).toBe(
      "The value of '/d' must be an ISO-8601 date (YYYY-MM-DD)",
    )
    expect(fieldProblem({ handle: 'd', type: 'li-date' }, '2024-02-29')).toBeUndefined()
    expect(fieldProblem({ handle: 'd', type: 'li-datetime' }, '2026-01-31 12:00')).toMatch(
      / must be an ISO-8601 date-time string$/,
    )
    expect(fieldProblem({ handle: 'd', type: 'li-datetime' }, '2026-01-31T12:00:00Z')).toBeUndefined()
    expect(fieldProblem({ handle: 'c', type: 'li-color' }, '#12345')).toMatch(
      / must be a hex color such as #8CBA51$/,
    )
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
      title: "The value of '/title' is required",
      kind: 'The value of \'/kind\' must be one of: "news", "opinion"',
    })
    expect(problemsSummary(1)).toBe('1 field is not valid')
    expect(problemsSummary(2)).toBe('2 fields are not valid')
  })
})
