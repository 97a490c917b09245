/**
 * The search an entry was opened from (docs/ui.md, Keyboard): the library records the entries it shows,
 * in order, with its cursor, so the entry page can step to the previous or next one (←/→, k/j) and page
 * on through the search; and which entry was last opened from it, so that Escape goes back to the grid
 * with the focus on that tile. `neighbours` is pure (test/unit/ui-search-context.test.ts).
 */

export interface SearchContext {
  /** The library URL's query (`?q=…`): the way back. */
  search: string
  /** The entries shown, in the grid's order. */
  ids: string[]
  /** The search's next page, when there is one. */
  cursor: string | null
  /** The API URL of the page after `after`. */
  pageUrl: (after: string) => string
}

let context: SearchContext | null = null
/** The entry last opened from the grid, and the search it was opened from. */
let opened: { search: string; id: string } | null = null
let focusSearch = false

export function setSearchContext(next: SearchContext | null): void {
  context = next
}
export function searchContext(): SearchContext | null {
  return context
}
export function setOpened(next: { search: string; id: string } | null): void {
  opened = next
}
export function lastOpened(): { search: string; id: string } | null {
  return opened
}
/** Asks the library, once, to put the focus in its search box when it shows (`/` on the entry page). */
export function requestSearchFocus(): void {
  focusSearch = true
}
export function takeSearchFocus(): boolean {
  const wanted = focusSearch
  focusSearch = false
  return wanted
}

/** Where `id` is among `ids`, with the entries before and after it; null when it is not there. */
export function neighbours(
  ids: readonly string[],
  id: string,
): { index: number; prev: string | undefined; next: string | undefined } | null {
  const index = ids.indexOf(id)
  if (index < 0) return null
  return { index, prev: ids[index - 1], next: ids[index + 1] }
}

/*
 * Steps pressed on an entry page (←/→, k/j) and not taken yet, as one count: forward positive, back
 * negative. A key is queued even while the entry, its neighbours' links or the search's next page are still
 * on their way; the entry page takes the steps one link at a time as the links arrive (docs/ui.md, Keyboard).
 */
let pending = 0
const stepListeners = new Set<() => void>()

export function queueStep(delta: 1 | -1): void {
  pending += delta
  for (const listener of stepListeners) listener()
}
export function pendingSteps(): number {
  return pending
}
export function clearSteps(): void {
  pending = 0
}
/** Takes one queued step (the caller follows its link). */
export function takeStep(): void {
  pending -= Math.sign(pending)
}
/** Calls `listener` after each queued step; returns the unsubscribe. */
export function onStepQueued(listener: () => void): () => void {
  stepListeners.add(listener)
  return () => stepListeners.delete(listener)
}

/**
 * What the entry page does with `steps` queued at an entry whose neighbours are `here`: follow one link
 * (`prev`/`next`), `wait` (forward at the last loaded entry while the search has more: the next page is on
 * its way), `drop` the steps (nothing lies that way), or `none` (nothing queued).
 */
export function nextStep(
  steps: number,
  here: { prev: string | undefined; next: string | undefined },
  more: boolean,
): 'prev' | 'next' | 'wait' | 'drop' | 'none' {
  if (steps === 0) return 'none'
  if (steps < 0) return here.prev ? 'prev' : 'drop'
  if (here.next) return 'next'
  return more ? 'wait' : 'drop'
}
