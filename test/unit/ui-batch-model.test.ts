import { describe, expect, it } from 'vitest'
import {
  addResults,
  batchBody,
  chunk,
  EMPTY_SUMMARY,
  fieldPatch,
  reasonOf,
  runChunks,
  sharedValue,
  type BatchResult,
  type Target,
} from '../../ui/batch-model.js'

describe('batch chunks', () => {
  it('slices in order, the last one shorter', () => {
    const items = Array.from({ length: 10_000 }, (_, i) => i)
    const parts = chunk(items, 1_000)
    expect(parts).toHaveLength(10)
    expect(parts.flat()).toEqual(items)
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]])
    expect(chunk([], 3)).toEqual([])
    expect(() => chunk([1], 0)).toThrow(RangeError)
  })

  it('builds the PATCH body with each entry version, and clears a field given no value', () => {
    const patch = fieldPatch('title', 'New')
    expect(batchBody([{ id: 'a', version: 3 }, { id: 'b' }], [patch])).toEqual({
      entries: [
        {
          id: 'a',
          version: 3,
          patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'New' }],
        },
        { id: 'b', patches: [patch] },
      ],
    })
    expect(fieldPatch('caption', '')).toEqual({
      operation: 'setMetadataProperty',
      propertyName: 'caption',
      value: null,
    })
  })
})

describe('batch results', () => {
  const conflict: BatchResult = {
    ok: false,
    id: 'b',
    status: 409,
    error: 'Conflict',
    error_details: { message: "The entry 'b' has version 2, not 1" },
  }
  const invalid: BatchResult = {
    ok: false,
    id: 'c',
    status: 400,
    error: 'Bad Request',
    error_details: {
      errors: [
        { metadataProperty: 'title', message: "The value of '/title' must NOT have more than 20 characters" },
      ],
    },
  }

  it('takes the API wording of each refusal', () => {
    expect(reasonOf(conflict)).toBe("The entry 'b' has version 2, not 1")
    expect(reasonOf(invalid)).toBe("The value of '/title' must NOT have more than 20 characters")
    expect(reasonOf({ ok: false, id: 'x', status: 404, error: 'Not Found' })).toBe('Not Found')
  })

  it('sums results over chunks, each failure with its entry', () => {
    const s = addResults(addResults(EMPTY_SUMMARY, [{ ok: true, id: 'a' }, conflict]), [
      invalid,
      { ok: true, id: 'd' },
    ])
    expect(s.saved).toBe(2)
    expect(s.failed.map((f) => [f.id, f.status])).toEqual([
      ['b', 409],
      ['c', 400],
    ])
  })

  it('runs chunks in order with progress, a refused chunk failing each of its entries', async () => {
    const targets: Target[] = Array.from({ length: 7 }, (_, i) => ({ id: `e${i}`, version: 1 }))
    const sent: string[][] = []
    const progress: number[] = []
    const summary = await runChunks(
      targets,
      3,
      async (part) => {
        sent.push(part.map((t) => t.id))
        if (part[0]!.id === 'e3') throw Object.assign(new Error('Too Many Requests'), { status: 429 })
        return part.map((t) => ({ ok: true, id: t.id }))
      },
      (done) => progress.push(done),
    )
    expect(sent).toEqual([['e0', 'e1', 'e2'], ['e3', 'e4', 'e5'], ['e6']])
    expect(progress).toEqual([3, 6, 7])
    expect(summary.saved).toBe(4)
    expect(summary.failed).toEqual(
      ['e3', 'e4', 'e5'].map((id) => ({ id, status: 429, reason: 'Too Many Requests' })),
    )
  })

  it('tells whether the selected entries share a value', () => {
    expect(sharedValue(['a', 'a'])).toEqual({ mixed: false, value: 'a' })
    expect(sharedValue(['a', 'b'])).toEqual({ mixed: true })
    expect(sharedValue([undefined, null])).toEqual({ mixed: false, value: undefined })
    expect(sharedValue([['x'], ['x']])).toEqual({ mixed: false, value: ['x'] })
    expect(sharedValue([])).toEqual({ mixed: false, value: undefined })
  })
})
