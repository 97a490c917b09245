// The library page. Over 300 lines because the page's state is one unit: the search, its pages, the selection
// and the batch over it share the same hooks; the parts that stand alone are in library-*.ts(x).
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { API, api, queryString } from './api.js'
import type { Entry, SearchPage, Session } from './api-types.js'
import { BatchEditDialog, BatchProgress, BatchSummary, SelectionBar } from './batch.js'
import { editableFields, sendDelete } from './batch-requests.js'
import { grouped } from './format.js'
import { inField, navigate } from './router.js'
import { click, EMPTY_SELECTION, toggle } from './selection.js'
import { clearSteps, lastOpened, setOpened, setSearchContext, takeSearchFocus } from './search-context.js'
import { useMissing } from './source-missing.js'
import { UploadPanel } from './upload.js'
import { FilterForm } from './library-filters.js'
import { fetchPage, FILTERS, type Filters, filtersOf, searchQuery, takeArrived } from './library-query.js'
import { EntryTable, gridKeys, type PickEvent, releaseThumbnails, Tile } from './library-tiles.js'
import { errorText, useSelectionRun } from './library-batch.js'

/** "1 entry", "2 entries", "about 1,200,000 entries" (an estimate). */
export function countText(total: number, exact: boolean | undefined): string {
  const n = grouped(total)
  return `${exact ? '' : 'About '}${n} ${total === 1 ? 'entry' : 'entries'}`
}

type Status = 'loading' | 'more' | 'end' | 'error'
interface Total {
  value: number
  exact: boolean | undefined
}

const statusOf = (page: SearchPage): Status => (page.cursor ? 'more' : 'end')

function shownText(shown: number, status: Status, total: Total | null): string {
  const counted = total ? `${countText(total.value, total.exact)} · ` : ''
  const more = status === 'more' ? ', more below' : ''
  return `${counted}${grouped(shown)} shown${more}`
}

/** Told once the first page is on screen (ui/app.tsx then asks for the other pages' code). */
export const FIRST_PAGE_EVENT = 'medialib:first-page'

/*
 * Escape on an entry page opened from the grid returns to the grid (unless a field or dialog took it); back
 * on that search (Escape, or the browser's Back), the focus returns to the tile last opened
 * (ui/search-context.ts).
 */
document.addEventListener('keydown', (event) => {
  const opened = lastOpened()
  if (event.key !== 'Escape' || event.defaultPrevented || !opened) return
  if (!location.pathname.startsWith('/entries/')) return
  if ((event.target as Element | null)?.closest?.('input, textarea, select, dialog, [contenteditable]'))
    return
  navigate(`/${opened.search}`)
})

/** The library: filters in the URL, a grid (or list) of entries, paged by the search cursor as you scroll. */
export function LibraryPage({ search, session }: { search: string; session: Session }) {
  const filters = filtersOf(search)
  const key = searchQuery(filters)
  const [arrived] = useState(() => takeArrived(`${API}/mediaLibrary${key}`))
  const [entries, setEntries] = useState<Entry[]>(arrived?.results ?? [])
  const [cursor, setCursor] = useState<string | null>(arrived?.cursor ?? null)
  const [status, setStatus] = useState<Status>(arrived ? statusOf(arrived) : 'loading')
  const [error, setError] = useState('')
  const [total, setTotal] = useState<Total | null>(null)
  const [recount, setRecount] = useState(0)
  const [selection, setSelection] = useState(EMPTY_SELECTION)
  const [allMatching, setAllMatching] = useState(false)
  const [editing, setEditing] = useState(false)
  const canWrite = session.scopes.includes('public-api:write')
  const missing = useMissing(entries, filters.sourceState === 'missing')
  const sentinel = useRef<HTMLDivElement>(null)
  const loading = useRef(false)
  const firstPainted = useRef(false)
  const generation = useRef(0)
  // The first page came with the start-up: the first search needs no request.
  const skipLoad = useRef(arrived !== undefined)

  const load = async (after?: string) => {
    const mine = generation.current
    loading.current = true
    setStatus('loading')
    try {
      const page = await fetchPage(`${API}/mediaLibrary${searchQuery(filters, after)}`)
      // A newer search started meanwhile: its answer, not this one, fills the grid.
      if (mine !== generation.current) return
      setEntries((old) => (after ? [...old, ...page.results] : page.results))
      setCursor(page.cursor ?? null)
      setStatus(statusOf(page))
      setError('')
    } catch (err) {
      if (mine !== generation.current) return
      setError(errorText(err))
      setStatus('error')
    } finally {
      loading.current = false
    }
  }

  useEffect(() => {
    generation.current += 1
    if (skipLoad.current) {
      skipLoad.current = false
      return
    }
    setEntries([])
    setCursor(null)
    setSelection(EMPTY_SELECTION)
    setAllMatching(false)
    load(undefined)
  }, [key])

  // The entry page steps through what the grid shows (and pages on by the cursor).
  useEffect(() => {
    setSearchContext({
      search,
      ids: entries.map((e) => e.id),
      cursor,
      pageUrl: (after) => `${API}/mediaLibrary${searchQuery(filters, after)}`,
    })
  }, [entries, cursor])

  // `/` puts the focus in the search box (outside fields); so does `/` on an entry page, coming back.
  useEffect(() => {
    clearSteps() // steps queued on an entry page left by Back do not follow into the next one opened
    if (takeSearchFocus()) document.getElementById('f-q')?.focus()
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || inField(e.target))
        return
      e.preventDefault()
      document.getElementById('f-q')?.focus()
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])

  // Back from an entry opened here: the focus returns to its tile once the grid holds it.
  useEffect(() => {
    const opened = lastOpened()
    if (!opened || opened.search !== search) return
    const link = document.querySelector<HTMLElement>(
      `.tile > a[data-id="${CSS.escape(opened.id)}"], table.list a[data-id="${CSS.escape(opened.id)}"]`,
    )
    if (link) {
      setOpened(null)
      link.focus()
    }
  }, [entries])

  // The count is a request of its own, so that counting never delays the first page.
  useEffect(() => {
    let current = true
    setTotal(null)
    api<SearchPage>('GET', `${API}/mediaLibrary${searchQuery(filters, undefined, 1)}&count=true`).then(
      (page) => {
        if (current && typeof page.total === 'number') setTotal({ value: page.total, exact: page.totalExact })
      },
      () => undefined,
    )
    return () => {
      current = false
    }
  }, [key, recount])

  // Read by the browser tests and bench:ui-first-page: time from navigation start to the first page on
  // screen. Set once the DOM holds the page (a layout effect runs right after Preact's commit), after the
  // next frame: requestAnimationFrame runs before that frame's paint, the task it queues after it. (A plain
  // effect ran up to 100 ms later: Preact defers effects to its own after-paint timer.)
  useLayoutEffect(() => {
    if (!firstPainted.current && status !== 'loading') {
      firstPainted.current = true
      requestAnimationFrame(() =>
        setTimeout(() => {
          performance.mark('medialib:first-page')
          releaseThumbnails()
          window.dispatchEvent(new Event(FIRST_PAGE_EVENT))
        }),
      )
    }
  }, [status])

  useEffect(() => {
    if (!sentinel.current || status !== 'more') return undefined
    const observer = new IntersectionObserver((items) => {
      if (items.some((i) => i.isIntersecting) && !loading.current && cursor) void load(cursor)
    })
    observer.observe(sentinel.current)
    return () => observer.disconnect()
  }, [status, cursor])

  // New entries (uploads) appear: the first page and the count again.
  const reload = () => {
    generation.current += 1
    load(undefined)
    setRecount((n) => n + 1)
  }
  const order = entries.map((e) => e.id)
  const pick = (id: string, event: PickEvent) => {
    setAllMatching(false)
    setSelection((s) =>
      event.ctrlKey || event.metaKey ? toggle(s, id) : click(s, order, id, { shift: event.shiftKey }),
    )
  }
  const selectedEntries = entries.filter((e) => selection.ids.has(e.id))
  const selectedCount = allMatching ? (total?.value ?? selection.ids.size) : selection.ids.size
  const clearSelection = () => {
    setSelection(EMPTY_SELECTION)
    setAllMatching(false)
  }
  const { progress, summary, runOnSelection, runBatch } = useSelectionRun({
    session,
    filters,
    allMatching,
    expected: total?.value,
    selectedEntries,
    after: () => {
      clearSelection()
      reload()
    },
  })

  const fields = editableFields(
    session.mediaTypes,
    new Set(allMatching ? session.mediaTypes.map((t) => t.handle) : selectedEntries.map((e) => e.mediaType)),
  )

  const apply = (next: Filters) =>
    navigate(`/${queryString(Object.fromEntries(FILTERS.map((k) => [k, next[k]])))}`)
  const kind = session.mediaTypes.find((t) => t.handle === filters.mediaType)?.type
  const view = filters.view || (kind && kind !== 'mediaImage' ? 'list' : 'grid')

  return (
    <main id="main">
      <h1>Library</h1>
      <UploadPanel session={session} onUploaded={() => reload()} />
      <FilterForm filters={filters} mediaTypes={session.mediaTypes} onApply={apply} />
      {error && (
        <p class="error" role="alert">
          The search was refused: {error}
        </p>
      )}
      <BatchProgress progress={progress} />
      <BatchSummary summary={summary} />
      <p class="count" aria-live="polite">
        {status === 'loading' && entries.length === 0
          ? 'Searching…'
          : shownText(entries.length, status, total)}
      </p>
      {status !== 'loading' && entries.length === 0 && !error && (
        <p class="empty">No entries match these filters.</p>
      )}
      {view === 'grid' ? (
        <ul
          class="grid"
          aria-label="Entries"
          aria-keyshortcuts="ArrowLeft ArrowRight ArrowUp ArrowDown Home End Space"
          onKeyDown={gridKeys}
        >
          {entries.map((e) => (
            <Tile
              key={e.id}
              entry={e}
              missing={missing.has(e.id)}
              selectable={canWrite}
              selected={allMatching || selection.ids.has(e.id)}
              onPick={pick}
            />
          ))}
        </ul>
      ) : (
        <EntryTable entries={entries} missing={missing} />
      )}
      {status === 'more' && (
        <div ref={sentinel} class="more">
          <button type="button" class="secondary" onClick={() => load(cursor ?? undefined)}>
            Load more
          </button>
        </div>
      )}
      {canWrite && selectedCount > 0 && (
        <SelectionBar
          count={selectedCount}
          total={total?.value ?? 0}
          allMatching={allMatching}
          busy={progress !== null}
          onSelectAll={() => setAllMatching(true)}
          onClear={clearSelection}
          onEdit={() => setEditing(true)}
          canDelete={session.scopes.includes('media-library:delete')}
          onArchive={() => runBatch('Archiving', [{ operation: 'archive' }])}
          onRevoke={(note) =>
            runBatch('Revoking', [note ? { operation: 'revokeAsset', note } : { operation: 'revokeAsset' }])
          }
          onUnrevoke={() => runBatch('Un-revoking', [{ operation: 'unrevokeAsset' }])}
          onUnarchive={() => runBatch('Un-archiving', [{ operation: 'unarchive' }])}
          onDelete={() =>
            runOnSelection('Moving to the trash', (targets, onProgress) =>
              sendDelete(targets, onProgress, session.limits),
            )
          }
        />
      )}
      {editing && (
        <BatchEditDialog
          fields={fields}
          entries={allMatching ? entries : selectedEntries}
          count={selectedCount}
          partial={allMatching && entries.length < selectedCount}
          onClose={() => setEditing(false)}
          onSave={(patch) => {
            setEditing(false)
            runBatch('Saving', [patch])
          }}
        />
      )}
    </main>
  )
}
