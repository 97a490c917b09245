// Batch actions of the library grid (issue #19): the selection bar, the batch edit dialog, and the
// progress and per-entry results of a batch sent through `PATCH /mediaLibrary` in chunks. The requests are in
// batch-requests.ts, the pure parts (chunks, results, mixed values) in batch-model.ts.
import { useEffect, useRef, useState } from 'preact/hooks'
import type { TargetedEvent } from 'preact'
import type { Entry, Patch, PropertyDef } from './api-types.js'
import { fieldPatch, sharedValue, type Summary } from './batch-model.js'
import { RevokeNoteField } from './revoke-note.js'
import { labelOf } from './field-model.js'
import { grouped, plural } from './format.js'
import { linkClick } from './router.js'

/** The bar under the grid while entries are selected: what is selected and what can be done with it. */
interface SelectionBarProps {
  count: number
  total: number
  allMatching: boolean
  busy: boolean
  /** The session may delete (`media-library:delete`). */
  canDelete: boolean
  onSelectAll: () => void
  onClear: () => void
  onEdit: () => void
  onArchive: () => void
  onRevoke: (note: string) => void
  onUnrevoke: () => void
  onUnarchive: () => void
  onDelete: () => void
}

/** The actions that ask before they run. */
type Confirming = 'archive' | 'revoke' | 'delete' | null

export function SelectionBar(props: SelectionBarProps) {
  const { count, total, allMatching, busy, canDelete, onSelectAll, onClear, onEdit } = props
  const n = allMatching ? total : count
  const entries = plural(n, 'entry', 'entries')
  // Archiving, revoking and deleting are two steps, as on the entry page.
  const [confirming, setConfirming] = useState<Confirming>(null)
  const [note, setNote] = useState('')
  useEffect(() => setConfirming(null), [n, allMatching])
  const confirm = (action: Confirming) => {
    setNote('')
    setConfirming(action)
  }
  const keep = (
    <button type="button" class="secondary" onClick={() => setConfirming(null)}>
      Keep them
    </button>
  )
  return (
    <section class="selection-bar" aria-label="Selection">
      <p class="selection-count" aria-live="polite">
        {allMatching
          ? `All ${plural(total, 'matching entry', 'matching entries')} selected`
          : `${plural(count, 'entry', 'entries')} selected`}
      </p>
      {!allMatching && total > count && (
        <button type="button" class="secondary" disabled={busy} onClick={onSelectAll}>
          Select all {grouped(total)} matching
        </button>
      )}
      <button type="button" disabled={busy} onClick={onEdit}>
        Edit a field…
      </button>
      {confirming === 'archive' ? (
        <>
          <button type="button" class="danger" disabled={busy} onClick={props.onArchive}>
            Confirm: archive {entries}
          </button>
          {keep}
        </>
      ) : (
        <button type="button" disabled={busy} onClick={() => confirm('archive')}>
          Archive {entries}…
        </button>
      )}
      <details class="more-actions">
        <summary>More actions</summary>
        <div class="more-actions-list">
          <button type="button" class="secondary" disabled={busy} onClick={() => confirm('revoke')}>
            Revoke {entries}…
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={props.onUnrevoke}>
            Un-revoke {entries}
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={props.onUnarchive}>
            Un-archive {entries}
          </button>
          {canDelete && (
            <button type="button" class="secondary" disabled={busy} onClick={() => confirm('delete')}>
              Delete {entries}…
            </button>
          )}
        </div>
      </details>
      <button type="button" class="secondary" disabled={busy} onClick={onClear}>
        Clear selection
      </button>
      {confirming === 'revoke' && (
        <form
          class="confirm-line"
          onSubmit={(e) => {
            e.preventDefault()
            props.onRevoke(note.trim())
          }}
        >
          <RevokeNoteField id="batch-revoke-note" note={note} onNote={setNote} />
          <button type="submit" class="danger" disabled={busy}>
            Confirm: revoke {entries}
          </button>
          {keep}
        </form>
      )}
      {confirming === 'delete' && (
        <div class="confirm-line" role="group" aria-label="Delete">
          <p class="hint">
            They go to the trash: hidden from the library and the API, restorable from the Trash page until
            the worker purges them. A used or protected entry is refused and listed.
          </p>
          <button type="button" class="danger" disabled={busy} onClick={props.onDelete}>
            Confirm: move {entries} to the trash
          </button>
          {keep}
        </div>
      )}
    </section>
  )
}

/** A batch under way: collecting the matching entries, then sending chunks. */
/** A batch under way: what it does, how many are done of how many. */
export interface Progress {
  verb: string
  done: number
  total: number
}

export function BatchProgress({ progress }: { progress: Progress | null }) {
  if (!progress) return null
  const { verb, done, total } = progress
  return (
    <div class="batch-progress" role="status">
      <label for="batch-progress">
        {verb}: {grouped(done)} of {grouped(total)}
      </label>
      <progress id="batch-progress" max={total} value={done}></progress>
    </div>
  )
}

/** What a finished batch did: how many were saved, and each failed entry (a link) with the API's reason. */
/** A finished batch: what it did and what failed. */
export type DoneSummary = Summary & { verb: string }

export function BatchSummary({ summary }: { summary: DoneSummary | null }) {
  const ref = useRef<HTMLElement>(null)
  // The result takes the focus (and scrolls into view): the selection bar that had it is gone.
  useEffect(() => ref.current?.focus(), [summary])
  if (!summary) return null
  const { verb, saved, failed } = summary
  const failures = failed.length ? `; ${plural(failed.length, 'entry', 'entries')} failed:` : '.'
  const text = `${verb} ${plural(saved, 'entry', 'entries')}${failures}`
  return (
    <section ref={ref} class="batch-summary" aria-label="Batch result" tabindex={-1}>
      <p role="status">{text}</p>
      {failed.length > 0 && (
        <ul class="batch-failures">
          {failed.slice(0, 200).map((f) => (
            <li>
              <a href={`/entries/${encodeURIComponent(f.id)}`} onClick={linkClick}>
                {f.id}
              </a>
              <span class="error">
                {' '}
                ({f.status || 'no answer'}) {f.reason}
              </span>
            </li>
          ))}
        </ul>
      )}
      {failed.length > 200 && <p>…and {grouped(failed.length - 200)} more.</p>}
    </section>
  )
}

function valueText(shared: ReturnType<typeof sharedValue>): string {
  if (shared.mixed) return '(mixed)'
  const v = shared.value as unknown
  return v === undefined || v === null || v === '' ? '(empty)' : String(v)
}

/**
 * The batch edit dialog: one field, its current value over the selection ("(mixed)" where the entries
 * differ, from the loaded entries; `partial` when more are selected than loaded), a new value (empty clears it). A native modal dialog: it keeps the
 * focus inside and Escape closes it.
 */
interface BatchEditDialogProps {
  fields: PropertyDef[]
  entries: Pick<Entry, 'metadata'>[]
  count: number
  partial: boolean
  onSave: (patch: Patch) => void
  onClose: () => void
}

export function BatchEditDialog({ fields, entries, count, partial, onSave, onClose }: BatchEditDialogProps) {
  const ref = useRef<HTMLDialogElement>(null)
  const [handle, setHandle] = useState(fields[0]?.handle ?? '')
  const [value, setValue] = useState('')
  useEffect(() => {
    const dialog = ref.current
    if (dialog instanceof HTMLDialogElement && !dialog.open) dialog.showModal()
  }, [])
  const def = fields.find((f) => f.handle === handle)
  const shared = sharedValue(entries.map((e) => e.metadata?.[handle]))
  const items = def?.type === 'li-enum' ? (def.config?.dataProvider?.items ?? []) : null
  const submit = (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault()
    onSave(fieldPatch(handle, value))
  }
  return (
    <dialog ref={ref} class="batch-edit" aria-labelledby="batch-edit-title" onClose={onClose}>
      <form onSubmit={submit}>
        <h2 id="batch-edit-title">Edit {plural(count, 'entry', 'entries')}</h2>
        <div class="field">
          <label for="batch-field">Field</label>
          <select id="batch-field" value={handle} onChange={(e) => setHandle(e.currentTarget.value)}>
            {fields.map((f) => (
              <option value={f.handle}>{labelOf(f)}</option>
            ))}
          </select>
        </div>
        <p class="batch-current">
          {partial ? 'Now, in the loaded entries: ' : 'Now: '}
          <span>{valueText(shared)}</span>
        </p>
        <div class="field">
          <label for="batch-value">New value (empty clears the field)</label>
          {items ? (
            <select id="batch-value" value={value} onChange={(e) => setValue(e.currentTarget.value)}>
              <option value="">(clear)</option>
              {items.map((i) => (
                <option value={String(i.value)}>{i.label ?? i.value}</option>
              ))}
            </select>
          ) : (
            <input id="batch-value" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
          )}
        </div>
        <div class="actions">
          <button type="submit" disabled={!def}>
            Save to {plural(count, 'entry', 'entries')}
          </button>
          <button type="button" class="secondary" onClick={() => ref.current?.close()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  )
}
