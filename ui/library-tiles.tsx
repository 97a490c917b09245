// The library's entries on screen (split from library.tsx): a tile of the grid with its thumbnail, a row of
// the list, and the keys that move between them.
import { useEffect, useState } from 'preact/hooks'
import type { TargetedKeyboardEvent } from 'preact'
import { thumbnailUrl, variantUrl } from './api.js'
import type { Entry } from './api-types.js'
import { dateTime, stateOf, titleOf } from './format.js'
import { linkClick } from './router.js'
import { columnsOf, gridMove } from './selection.js'
import { setOpened } from './search-context.js'
import { MissingBadge } from './source-missing.js'

/*
 * Thumbnails are asked for once the first page is on screen, not during its first frame: 60 image requests
 * and their decoding then do not compete with that frame for the browser's main thread and the server's
 * cores (issue #19, bench:ui-first-page). Until then a tile shows the thumbnail's grey box, of its size.
 */
let thumbnailsReleased = false
const thumbnailWaiters = new Set<() => void>()
export function releaseThumbnails(): void {
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

/** How an entry was picked: the modifier keys of the click or key press. */
export type PickEvent = Pick<MouseEvent, 'ctrlKey' | 'metaKey' | 'shiftKey'>

export interface TileProps {
  entry: Entry
  /** Its source object vanished (issue #22). */
  missing: boolean
  selectable: boolean
  selected: boolean
  onPick: (id: string, event: PickEvent) => void
}

export function Tile({ entry, missing, selectable, selected, onPick }: TileProps) {
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

/** The list view: a row per entry, with the columns editors sort and check by. */
export function EntryTable({ entries, missing }: { entries: Entry[]; missing: ReadonlySet<string> }) {
  return (
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
  )
}

/** ArrowDown in the search box moves the focus to the first entry. */
export function toFirstTile(event: KeyboardEvent) {
  if (event.key !== 'ArrowDown') return
  const first = document.querySelector<HTMLElement>('.grid .tile a, table.list tbody a')
  if (first) {
    event.preventDefault()
    first.focus()
  }
}

/** Arrow keys, Home and End move the focus between the grid's tiles (their links). */
export function gridKeys(event: TargetedKeyboardEvent<HTMLElement>) {
  const links = [...event.currentTarget.querySelectorAll<HTMLElement>('.tile > a')]
  const index = links.indexOf(event.target as HTMLElement)
  if (index < 0) return
  const columns = columnsOf(links.map((a) => a.getBoundingClientRect().top))
  const next = gridMove(index, event.key, columns, links.length)
  if (next === null) return
  event.preventDefault()
  links[next]?.focus()
}
