/**
 * The library grid's selection, as pure functions over entry ids (unit-tested in
 * test/unit/ui-selection.test.ts): a click toggles one entry, Shift-click adds the range from the last
 * clicked entry (the anchor) in the grid's order, Ctrl/Cmd-click toggles without opening.
 */
export interface Selection {
  readonly ids: ReadonlySet<string>
  /** The entry a Shift-click ranges from: the last one clicked without Shift. */
  readonly anchor: string | null
}

export interface ClickModifiers {
  shift?: boolean
}

export const EMPTY_SELECTION: Selection = { ids: new Set(), anchor: null }

/** Adds or removes one entry; it becomes the anchor. */
export function toggle(selection: Selection, id: string): Selection {
  const ids = new Set(selection.ids)
  if (ids.has(id)) ids.delete(id)
  else ids.add(id)
  return { ids, anchor: id }
}

/**
 * The entries from the anchor to `id` (both included), in `order`, added to the selection. Without an
 * anchor (or one no longer shown) it selects `id` alone. The anchor stays, so a second Shift-click
 * ranges from the same place, as in file managers.
 */
export function selectRange(selection: Selection, order: readonly string[], id: string): Selection {
  const to = order.indexOf(id)
  const from = selection.anchor === null ? -1 : order.indexOf(selection.anchor)
  if (to < 0) return selection
  if (from < 0) return { ids: new Set([...selection.ids, id]), anchor: id }
  const [lo, hi] = from <= to ? [from, to] : [to, from]
  return { ids: new Set([...selection.ids, ...order.slice(lo, hi + 1)]), anchor: selection.anchor }
}

/** A click on an entry's checkbox (or a Ctrl/Cmd-click on its tile): a range with Shift, else a toggle. */
export function click(
  selection: Selection,
  order: readonly string[],
  id: string,
  modifiers: ClickModifiers = {},
): Selection {
  return modifiers.shift ? selectRange(selection, order, id) : toggle(selection, id)
}

/** Keeps only the entries still shown (after a new search). */
export function keepShown(selection: Selection, order: readonly string[]): Selection {
  const shown = new Set(order)
  const ids = new Set([...selection.ids].filter((id) => shown.has(id)))
  const anchor = selection.anchor !== null && shown.has(selection.anchor) ? selection.anchor : null
  return ids.size === selection.ids.size && anchor === selection.anchor ? selection : { ids, anchor }
}

/** How many tiles the first row holds, from the tiles' top offsets in grid order. */
export function columnsOf(tops: readonly number[]): number {
  if (tops.length === 0) return 1
  const first = tops[0]
  const n = tops.findIndex((t) => t !== first)
  return n < 0 ? tops.length : n
}

/**
 * Where an arrow key (or Home/End) moves the focus in a grid of `count` tiles, `columns` wide; null for
 * other keys. Left/right wrap across rows; up/down stay put at the first/last row.
 */
export function gridMove(index: number, key: string, columns: number, count: number): number | null {
  const last = count - 1
  const moved = (() => {
    switch (key) {
      case 'ArrowLeft':
        return index - 1
      case 'ArrowRight':
        return index + 1
      case 'ArrowUp':
        return index - columns < 0 ? index : index - columns
      case 'ArrowDown':
        return index + columns > last ? index : index + columns
      case 'Home':
        return 0
      case 'End':
        return last
      default:
        return null
    }
  })()
  return moved === null ? null : Math.max(0, Math.min(last, moved))
}
