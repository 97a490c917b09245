import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { normalizeParts, searchWords } from '../../src/media/search-text.js'

/**
 * The search text's normal form, as it was defined before its ASCII fast path and its part-by-part form:
 * the whole text through every Unicode step. Stored search text and query words must keep matching
 * what this gives, or entries stored earlier would stop being found.
 */
const reference = (text: string) =>
  text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()

/** Strings that mix ASCII with accents, marks, spacing and case-sensitive scripts (Greek sigma, Turkish İ). */
const mixed = fc.string({
  unit: fc.oneof(
    fc.constantFrom('a', 'Z', '7', ' ', '-', '.', "'", '\t', '_'),
    fc.constantFrom('é', 'Ä', 'ß', 'İ', 'Σ', 'ς', 'ﬁ', '①', '¨', '\u0301', '\u0308', 'ﾞ', '日', '\u00a0'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 24,
})

describe('search text normal form', () => {
  it('gives, part by part, the text the joined form gives (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(mixed, fc.string({ unit: 'binary' })), { maxLength: 6 }), (parts) => {
        expect(normalizeParts(parts)).toBe(reference(parts.join(' ')))
      }),
      { numRuns: 2_000 },
    )
  })

  it('gives query words as the reference splits them (property)', () => {
    fc.assert(
      fc.property(fc.oneof(mixed, fc.string({ unit: 'grapheme-ascii' })), (q) => {
        const text = reference(q)
        expect(searchWords(q)).toEqual(text === '' ? [] : text.split(' ').slice(0, 16))
      }),
      { numRuns: 2_000 },
    )
  })

  it('folds case and accents and splits on everything but letters and digits', () => {
    expect(normalizeParts(['Harbour-12.JPG', 'Hafen in der Abenddämmerung', '', '  ', 'ΟΔΟΣ café'])).toBe(
      'harbour 12 jpg hafen in der abenddammerung οδος cafe',
    )
    expect(searchWords('  Photo_12.jpg ')).toEqual(['photo', '12', 'jpg'])
  })
})
