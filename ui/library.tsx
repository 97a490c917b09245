import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import type { TargetedEvent, TargetedKeyboardEvent } from 'preact'
import { API, api, ApiError, messageOf, queryString, thumbnailUrl, variantUrl } from './api.js'
import type { Entry, MediaType, Patch, SearchPage, Session } from './api-types.js'
import {
  BatchEditDialog,
  BatchProgress,
  BatchSummary,
  collectTargets,
  editableFields,
  type DoneSummary,
  type Progress,
  SelectionBar,
  sendBatch,
  sendDelete,
} from './batch.js'
import type { Summary, Target } from './batch-model.js'
import { dateTime, grouped, stateOf, titleOf } from './format.js'
import { inField, linkClick, navigate } from './router.js'
import { click, columnsOf, EMPTY_SELECTION, gridMove, toggle } from './selection.js'
import { clearSteps, lastOpened, setOpened, setSearchContext, takeSearchFocus } from './search-context.js'
import { MissingBadge, useMissing } from './source-missing.js'
import { UploadPanel } from './upload.js'

const PAGE_SIZE = 60
const FILTERS = [
  'q',
  'mediaType',
  'systemName',
  'state',
  'used',
  'sourceState',
  'createdAfter',
  'createdBefore',
  'sort',
  'view',
] as const
type FilterName = (typeof FILTERS)[number]
/** The search and view the URL asks for (each `''` when not set). */
type Filters = Record<FilterName, string>
/** The grid's orders; the first is the default (newest first). `relevance` needs search words. */
const SORTS: [string, string][] = [
  ['-createdAt', 'Newest first'],
  ['createdAt', 'Oldest first'],
  ['-updatedAt', 'Recently changed'],
  ['updatedAt', 'Least recently changed'],
  ['relevance', 'Best match'],
]
const STATES: [string, string][] = [
  ['', 'Active and revoked'],
  ['active', 'Active'],
  ['revoked', 'Revoked'],
  ['archived', 'Archived'],
  ['active,revoked,archived', 'All, with archived'],
]

interface Prefetch {
  url: string
  promise: Promise<SearchPage>
  page: SearchPage | undefined
}
let prefetched: Prefetch | null = null

/**
 * Starts the first page's search while the app still loads its session, so that the two requests run in
 * parallel. Called once at start-up; the library page starts from its answer when it asks for the same
 * URL. Returns a promise that settles (never rejects) when the answer is in.
 */
export function prefetchFirstPage(search: string): Promise<void> {
  const url = `${API}/mediaLibrary${searchQuery(filtersOf(search))}`
  const entry: Prefetch = { url, promise: api<SearchPage>('GET', url), page: undefined }
  prefetched = entry
  return entry.promise.then(
    (page) => {
      entry.page = page
    },
    () => undefined,
  )
}

/** The prefetched page of `url` if it has arrived: the first render then shows the grid at once. */
function takeArrived(url: string): SearchPage | undefined {
  const early = prefetched
  if (early?.url !== url || early.page === undefined) return undefined
  prefetched = null
  return early.page
}

async function fetchPage(url: string): Promise<SearchPage> {
  const early = prefetched
  prefetched = null
  if (early?.url === url) {
    try {
      return await early.promise
    } catch {
      // e.g. 401 before the login: ask again now
    }
  }
  return api<SearchPage>('GET', url)
}

function filtersOf(search: string): Filters {
  const params = new URLSearchParams(search)
  return Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ''])) as Filters
}

/** The order asked for: the default when none (or relevance without words). */
const DEFAULT_SORT = '-createdAt'
function sortOf(filters: Filters): string {
  const sort = SORTS.some(([v]) => v === filters.sort) ? filters.sort : DEFAULT_SORT
  return sort === 'relevance' && !filters.q.trim() ? DEFAULT_SORT : sort
}

/** "1 entry", "2 entries", "about 1,200,000 entries" (an estimate). */
export function countText(total: number, exact: boolean | undefined): string {
  const n = grouped(total)
  return `${exact ? '' : 'About '}${n} ${total === 1 ? 'entry' : 'entries'}`
}

/** The search request of the filters: dates are whole days, `createdBefore` includes its day. */
function searchQuery(filters: Filters, after?: string, limit: number | '' = PAGE_SIZE): string {
  const nextDay = (d: string) =>
    new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
  return queryString({
    q: filters.q.trim(),
    mediaType: filters.mediaType,
    systemName: filters.systemName.trim(),
    state: filters.state,
    used: filters.used === 'true' || filters.used === 'false' ? filters.used : '',
    sourceState: filters.sourceState === 'missing' ? 'missing' : '',
    createdAfter: filters.createdAfter ? `${filters.createdAfter}T00:00:00Z` : '',
    createdBefore: filters.createdBefore ? nextDay(filters.createdBefore) : '',
    sort: sortOf(filters),
    limit,
    after,
  })
}

/** What a finished batch says it did. */
const DONE_VERBS: Record<string, string> = {
  Archiving: 'Archived',
  Saving: 'Saved',
  Revoking: 'Revoked',
  'Un-revoking': 'Un-revoked',
  'Un-archiving': 'Un-archived',
  'Moving to the trash': 'Moved to the trash',
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

function errorText(err: unknown): string {
  const details = err instanceof ApiError ? err.body?.error_details : undefined
  if (details && typeof details === 'object') {
    return Object.entries(details)
      .map(([k, v]) => (k === 'message' ? String(v) : `${k} ${String(v)}`))
      .join('; ')
  }
  return messageOf(err)
}

/** Told once the first page is on screen (ui/app.tsx then asks for the other pages' code). */
export const FIRST_PAGE_EVENT = 'medialib:first-page'

/*
 * Thumbnails are asked for once the first page is on screen, not during its first frame: 60 image requests
 * and their decoding then do not compete with that frame for the browser's main thread and the server's
 * cores (issue #19, bench:ui-first-page). Until then a tile shows the thumbnail's grey box, of its size.
 */
let thumbnailsReleased = false
const thumbnailWaiters = new Set<() => void>()
function releaseThumbnails(): void {
  thumbnailsReleased = true
  for (const wake of thumbnailWaiters) wake()
  thumbnailWaiters.clear()
}
function useThumbnailsReleased(): boolean {
  const [released, setReleased] = useState(thumbnailsReleased)
  useEffect(() => {
    if (released) return undefined
    const wake = () => setReleased(true)
    thumbnailWaiters.add(wake)
    return () => thumbnailWaiters.delete(wake)
  }, [])
  return released || thumbnailsReleased
}

function Thumb({ entry }: { entry: Entry }) {
  const [failed, setFailed] = useState(false)
  const released = useThumbnailsReleased()
  const kind = entry.asset.mimeType?.split('/')[0] ?? 'file'
  if ((kind !== 'image' && kind !== 'video') || failed) {
    return (
      <div class="thumb placeholder" aria-hidden="true">
        <span>{(entry.asset.filename?.split('.').pop() || kind).toUpperCase()}</span>
      </div>
    )
  }
  if (!released) return <div class="thumb" aria-hidden="true" />
  // A video's thumbnail is its poster frame when the server can extract one; the typed placeholder otherwise.
  const url = kind === 'video' ? thumbnailUrl : variantUrl
  return (
    <img
      class="thumb"
      src={url(entry, 320)}
      srcset={[160, 320, 640].map((w) => `${url(entry, w)} ${w}w`).join(', ')}
      sizes="(max-width: 600px) 45vw, 240px"
      alt=""
      loading="lazy"
      decoding="async"
      width={320}
      height={240}
      onError={() => setFailed(true)}
    />
  )
}

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

/** How an entry was picked: the modifier keys of the click or key press. */
type PickEvent = Pick<MouseEvent, 'ctrlKey' | 'metaKey' | 'shiftKey'>

interface TileProps {
  entry: Entry
  /** Its source object vanished (issue #22). */
  missing: boolean
  selectable: boolean
  selected: boolean
  onPick: (id: string, event: PickEvent) => void
}

function Tile({ entry, missing, selectable, selected, onPick }: TileProps) {
  const state = stateOf(entry)
  const title = titleOf(entry)
  // Ctrl/Cmd-click toggles and Shift-click ranges instead of opening; Space does the same from the keyboard.
  const onClick = (e: MouseEvent) => {
    if (selectable && (e.ctrlKey || e.metaKey || e.shiftKey)) {
      e.preventDefault()
      onPick(entry.id, e)
      return
    }
    setOpened({ search: location.search, id: entry.id })
    linkClick(e)
  }
  const onKeyDown = (e: KeyboardEvent) => {
    if (selectable && e.key === ' ') {
      e.preventDefault()
      onPick(entry.id, e)
    }
  }
  return (
    <li class={selected ? 'tile selected' : 'tile'}>
      {selectable && (
        <input
          type="checkbox"
          class="pick"
          tabindex={-1}
          aria-label={`Select ${title}`}
          checked={selected}
          onClick={(e) => onPick(entry.id, e)}
        />
      )}
      <a
        href={`/entries/${encodeURIComponent(entry.id)}`}
        data-id={entry.id}
        onClick={onClick}
        onKeyDown={onKeyDown}
      >
        <Thumb entry={entry} />
        <span class="tile-title">{title}</span>
        {selected && <span class="sr-only"> (selected)</span>}
        <span class="tile-meta">
          {entry.mediaType}
          {entry.systemName ? ` · ${entry.systemName}` : ''}
        </span>
        {missing && <MissingBadge />}
        {state !== 'active' && <span class={`badge state-${state}`}>{state}</span>}
      </a>
    </li>
  )
}

function Row({ entry, missing }: { entry: Entry; missing: boolean }) {
  const state = stateOf(entry)
  return (
    <tr>
      <td>
        <a href={`/entries/${encodeURIComponent(entry.id)}`} onClick={linkClick}>
          {titleOf(entry)}
        </a>
      </td>
      <td>{entry.mediaType}</td>
      <td>{entry.asset.mimeType}</td>
      <td>{entry.asset.filename}</td>
      <td>{entry.systemName ?? ''}</td>
      <td>{dateTime(entry.createdAt)}</td>
      <td>
        {state}
        {missing && <MissingBadge />}
      </td>
    </tr>
  )
}

/** ArrowDown in the search box moves the focus to the first entry. */
function toFirstTile(event: KeyboardEvent) {
  if (event.key !== 'ArrowDown') return
  const first = document.querySelector<HTMLElement>('.grid .tile a, table.list tbody a')
  if (first) {
    event.preventDefault()
    first.focus()
  }
}

/** Arrow keys, Home and End move the focus between the grid's tiles (their links). */
function gridKeys(event: TargetedKeyboardEvent<HTMLElement>) {
  const links = [...event.currentTarget.querySelectorAll<HTMLElement>('.tile > a')]
  const index = links.indexOf(event.target as HTMLElement)
  if (index < 0) return
  const columns = columnsOf(links.map((a) => a.getBoundingClientRect().top))
  const next = gridMove(index, event.key, columns, links.length)
  if (next === null) return
  event.preventDefault()
  links[next]?.focus()
}

interface FilterFormProps {
  filters: Filters
  mediaTypes: MediaType[]
  onApply: (filters: Filters) => void
}

function FilterForm({ filters, mediaTypes, onApply }: FilterFormProps) {
  const [draft, setDraft] = useState(filters)
  useEffect(() => setDraft(filters), [JSON.stringify(filters)])
  type Changed = TargetedEvent<HTMLInputElement | HTMLSelectElement>
  const set = (key: FilterName) => (e: Changed) => setDraft({ ...draft, [key]: e.currentTarget.value })
  const setNow = (key: FilterName) => (e: Changed) => onApply({ ...draft, [key]: e.currentTarget.value })
  const submit = (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault()
    onApply(draft)
  }
  return (
    <form class="filters" role="search" onSubmit={submit}>
      <div class="field grow">
        <label for="f-q">Search</label>
        <input
          id="f-q"
          type="search"
          value={draft.q}
          onInput={set('q')}
          onKeyDown={toFirstTile}
          placeholder="words in titles, captions, filenames"
          aria-keyshortcuts="ArrowDown"
        />
      </div>
      <div class="field">
        <label for="f-type">Media type</label>
        <select id="f-type" value={draft.mediaType} onChange={setNow('mediaType')}>
          <option value="">All</option>
          {mediaTypes.map((t) => (
            <option value={t.handle}>{t.info?.label ?? t.handle}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-system">System name</label>
        <input id="f-system" value={draft.systemName} onInput={set('systemName')} />
      </div>
      <div class="field">
        <label for="f-state">State</label>
        <select id="f-state" value={draft.state} onChange={setNow('state')}>
          {STATES.map(([v, label]) => (
            <option value={v}>{label}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-used">Usage</label>
        <select id="f-used" value={draft.used} onChange={setNow('used')}>
          <option value="">Used and unused</option>
          <option value="false">Unused</option>
          <option value="true">Used</option>
        </select>
      </div>
      <div class="field">
        <label for="f-source">Source</label>
        <select id="f-source" value={draft.sourceState} onChange={setNow('sourceState')}>
          <option value="">Any</option>
          <option value="missing">Missing from its source</option>
        </select>
      </div>
      <div class="field">
        <label for="f-after">Created from</label>
        <input id="f-after" type="date" value={draft.createdAfter} onChange={setNow('createdAfter')} />
      </div>
      <div class="field">
        <label for="f-before">Created until</label>
        <input id="f-before" type="date" value={draft.createdBefore} onChange={setNow('createdBefore')} />
      </div>
      <div class="field">
        <label for="f-sort">Sort</label>
        <select id="f-sort" value={sortOf(draft)} onChange={setNow('sort')}>
          {SORTS.filter(([v]) => v !== 'relevance' || draft.q.trim()).map(([v, label]) => (
            <option value={v}>{label}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-view">View</label>
        <select id="f-view" value={draft.view} onChange={setNow('view')}>
          <option value="">Automatic</option>
          <option value="grid">Grid</option>
          <option value="list">List</option>
        </select>
      </div>
      <div class="field">
        <button type="submit">Search</button>
      </div>
    </form>
  )
}

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
  const [progress, setProgress] = useState<Progress | null>(null)
  const [summary, setSummary] = useState<DoneSummary | null>(null)
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

  const runBatch = (verb: string, patches: Patch[]) =>
    runOnSelection(verb, (targets, onProgress) => sendBatch(targets, patches, onProgress, session.limits))
  /** Runs `send` over the selection (every matching entry, or the selected loaded ones), with progress. */
  const runOnSelection = async (
    verb: string,
    send: (targets: Target[], onProgress: (done: number) => void) => Promise<Summary>,
  ) => {
    setSummary(null)
    let targets: Target[]
    try {
      if (allMatching) {
        const expected = total?.value ?? 0
        setProgress({ verb: 'Finding the matching entries', done: 0, total: expected })
        targets = await collectTargets(
          `${API}/mediaLibrary${searchQuery(filters, undefined, '')}`,
          (n) => setProgress({ verb: 'Finding the matching entries', done: n, total: Math.max(n, expected) }),
          session.limits,
        )
      } else {
        targets = selectedEntries.map((e) => ({ id: e.id, version: e.version }))
      }
      setProgress({ verb, done: 0, total: targets.length })
      const all = targets
      const result = await send(all, (done) => setProgress({ verb, done, total: all.length }))
      setSummary({ verb: DONE_VERBS[verb] ?? verb, ...result })
    } catch (err) {
      setSummary({
        verb: DONE_VERBS[verb] ?? verb,
        saved: 0,
        failed: [
          { id: '(search)', status: err instanceof ApiError ? err.status : 0, reason: errorText(err) },
        ],
      })
    } finally {
      setProgress(null)
    }
    clearSelection()
    reload()
  }
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
        <table class="list">
          <caption class="sr-only">Entries</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Media type</th>
              <th scope="col">MIME type</th>
              <th scope="col">Filename</th>
              <th scope="col">System</th>
              <th scope="col">Created</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <Row key={e.id} entry={e} missing={missing.has(e.id)} />
            ))}
          </tbody>
        </table>
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
