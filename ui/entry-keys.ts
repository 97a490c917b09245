import { inField, navigate } from './router.js'
import {
  clearSteps,
  lastOpened,
  queueStep,
  requestSearchFocus,
  searchContext,
  setOpened,
} from './search-context.js'

/*
 * ←/→ and k/j on an entry page opened from the grid (outside a field, a dialog or the crop editor) queue a
 * step, `/` goes back to the search box. One listener for the whole app, installed at start (in the first
 * screen's bundle, not in the entry page's chunk, which may still be loading): a listener of the page itself
 * would miss the keys pressed between one entry page's removal and the next one's effects (Preact runs
 * effects after the paint). EntryNav (ui/entry.tsx) takes the queued steps as its links arrive.
 */
document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey || inField(e.target)) return
  if (!location.pathname.startsWith('/entries/')) return
  const context = searchContext()
  if (!context || !lastOpened()) return
  const delta = e.key === 'ArrowLeft' || e.key === 'k' ? -1 : e.key === 'ArrowRight' || e.key === 'j' ? 1 : 0
  if (delta !== 0) {
    e.preventDefault()
    queueStep(delta)
  } else if (e.key === '/') {
    e.preventDefault()
    clearSteps()
    setOpened(null) // the focus goes to the search box, not back to a tile
    requestSearchFocus()
    navigate(`/${context.search}`)
  } else if (e.key === 'Escape') {
    clearSteps()
  }
})
