import { describe, expect, it } from 'vitest'
import {
  click,
  columnsOf,
  EMPTY_SELECTION,
  gridMove,
  keepShown,
  selectRange,
  toggle,
} from '../../ui/selection.js'

const ORDER = Array.from({ length: 80 }, (_, i) => `e${i}`)
const ids = (s: { ids: ReadonlySet<string> }) => [...s.ids].sort()

describe('the grid selection', () => {
  it('toggles one entry, which becomes the anchor', () => {
    const one = toggle(EMPTY_SELECTION, 'e3')
    expect(ids(one)).toEqual(['e3'])
    expect(one.anchor).toBe('e3')
    const none = toggle(one, 'e3')
    expect(ids(none)).toEqual([])
    expect(EMPTY_SELECTION.ids.size).toBe(0)
  })

  it('Shift-click selects the range from the anchor, in either direction, keeping the anchor', () => {
    const first = click(EMPTY_SELECTION, ORDER, 'e10')
    const fifty = click(first, ORDER, 'e59', { shift: true })
    expect(fifty.ids.size).toBe(50)
    expect(fifty.ids.has('e10') && fifty.ids.has('e59') && !fifty.ids.has('e60')).toBe(true)
    expect(fifty.anchor).toBe('e10')
    const back = selectRange(toggle(EMPTY_SELECTION, 'e5'), ORDER, 'e2')
    expect(ids(back)).toEqual(['e2', 'e3', 'e4', 'e5'])
  })

  it('a range adds to what Ctrl-click selected; without an anchor it selects the one entry', () => {
    const picked = toggle(toggle(EMPTY_SELECTION, 'e70'), 'e1')
    const range = selectRange(picked, ORDER, 'e3')
    expect(ids(range)).toEqual(['e1', 'e2', 'e3', 'e70'])
    expect(ids(selectRange(EMPTY_SELECTION, ORDER, 'e4'))).toEqual(['e4'])
    expect(selectRange(picked, ORDER, 'unknown')).toBe(picked)
  })

  it('keeps only the entries still shown after a new search', () => {
    const s = toggle(toggle(EMPTY_SELECTION, 'e1'), 'x')
    const kept = keepShown(s, ORDER)
    expect(ids(kept)).toEqual(['e1'])
    expect(kept.anchor).toBeNull()
    const same = toggle(EMPTY_SELECTION, 'e1')
    expect(keepShown(same, ORDER)).toBe(same)
  })
})

describe('grid focus movement', () => {
  it('counts the columns of the first row', () => {
    expect(columnsOf([10, 10, 10, 10, 200, 200])).toBe(4)
    expect(columnsOf([10, 10])).toBe(2)
    expect(columnsOf([])).toBe(1)
  })

  it('moves by arrow keys, Home and End, staying inside the grid', () => {
    // 10 tiles, 4 columns: rows 0-3, 4-7, 8-9
    expect(gridMove(5, 'ArrowRight', 4, 10)).toBe(6)
    expect(gridMove(4, 'ArrowLeft', 4, 10)).toBe(3)
    expect(gridMove(0, 'ArrowLeft', 4, 10)).toBe(0)
    expect(gridMove(9, 'ArrowRight', 4, 10)).toBe(9)
    expect(gridMove(1, 'ArrowDown', 4, 10)).toBe(5)
    expect(gridMove(7, 'ArrowDown', 4, 10)).toBe(7)
    expect(gridMove(5, 'ArrowUp', 4, 10)).toBe(1)
    expect(gridMove(2, 'ArrowUp', 4, 10)).toBe(2)
    expect(gridMove(5, 'Home', 4, 10)).toBe(0)
    expect(gridMove(5, 'End', 4, 10)).toBe(9)
    expect(gridMove(5, 'Enter', 4, 10)).toBeNull()
  })
})
