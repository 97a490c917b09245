// Previous / next entry of the search an entry was opened from (split from entry.tsx).
import { useEffect, useState } from 'preact/hooks'
import { api } from './api.js'
import type { SearchPage } from './api-types.js'
import { linkClick } from './router.js'
import {
  clearSteps,
  neighbours,
  nextStep,
  onStepQueued,
  pendingSteps,
  searchContext,
  setOpened,
  setSearchContext,
  takeStep,
} from './search-context.js'

const entryHref = (id: string) => `/entries/${encodeURIComponent(id)}`

/**
 * Previous / next entry of the search the entry was opened from, shown as soon as the page opens (before
 * the entry itself is in). At the last loaded entry it asks for the search's next page, so stepping goes on
 * through the whole search. It takes the queued steps one link at a time: the steps are links, so the
 * unsaved-changes guard asks first (and a refusal drops the rest).
 */
export function EntryNav({ id }: { id: string }) {
  const [context, setContext] = useState(searchContext)
  const here = context ? neighbours(context.ids, id) : null
  useEffect(() => {
    if (!context || !here || here.next || !context.cursor) return
    let current = true
    const { cursor } = context
    api<SearchPage>('GET', context.pageUrl(cursor)).then(
      (page) => {
        if (!current) return
        const next = {
          ...context,
          ids: [...context.ids, ...page.results.map((e) => e.id)],
          cursor: page.cursor ?? null,
        }
        setSearchContext(next)
        setContext(next)
      },
      () => {
        if (current) clearSteps()
      },
    )
    return () => {
      current = false
    }
  }, [id, context])
  useEffect(() => {
    const take = () => {
      if (!context || !here) return clearSteps()
      const what = nextStep(pendingSteps(), here, !!context.cursor)
      if (what === 'drop') clearSteps()
      if (what !== 'prev' && what !== 'next') return
      const link = document.querySelector<HTMLAnchorElement>(`.entry-nav a[rel="${what}"]`)
      if (!link) return
      takeStep()
      const click = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 })
      link.dispatchEvent(click)
      // Refused by the unsaved-changes guard: the steps after it are dropped too.
      if (!navigatedTo(link)) clearSteps()
    }
    take()
    return onStepQueued(take)
  }, [id, context])
  if (!context || !here) return null
  // A step keeps Escape's way back: the grid, with the focus on the entry stepped to.
  const step = (to: string) => (e: MouseEvent) => {
    setOpened({ search: context.search, id: to })
    linkClick(e)
  }
  const count = `${context.ids.length}${context.cursor ? '+' : ''}`
  return (
    <nav class="entry-nav" aria-label="Search results" aria-keyshortcuts="ArrowLeft ArrowRight k j /">
      {here.prev ? (
        <a href={entryHref(here.prev)} rel="prev" onClick={step(here.prev)}>
          ← Previous
        </a>
      ) : (
        <span class="hint">← Previous</span>
      )}
      <span>
        Entry {here.index + 1} of {count} in the search
      </span>
      {here.next ? (
        <a href={entryHref(here.next)} rel="next" onClick={step(here.next)}>
          Next →
        </a>
      ) : (
        <span class="hint">Next →</span>
      )}
    </nav>
  )
}

/** Whether the location is now the link's (an in-app link prevents the click's default and navigates). */
const navigatedTo = (link: HTMLAnchorElement) => location.pathname === link.getAttribute('href')
