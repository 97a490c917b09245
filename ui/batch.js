/* global HTMLDialogElement */
// Batch actions of the library grid (issue #19): the selection bar, the batch edit dialog, and the
// progress and per-entry results of a batch sent through `PATCH /mediaLibrary` in chunks. The pure parts
// (chunks, results, mixed values) are in batch-model.ts.
import { useEffect, useRef, useState } from 'preact/hooks'
import { API, api } from './api.js'
import { batchBody, fieldPatch, runChunks, sharedValue } from './batch-model.ts'
import { grouped } from './format.js'
import { html } from './html.js'
import { linkClick } from './router.js'

/**
 * Entries per `PATCH /mediaLibrary` request and per search page while collecting "all matching": the
 * server's `limits.patchEntriesPerRequest` and largest search page, as `/ui/session` tells them; these
 * defaults (the server's) when it does not.
 */
export const BATCH_CHUNK = 1000
const COLLECT_PAGE = 1000
const sizeOf = (value, fallback) => (Number.isInteger(value) && value > 0 ? value : fallback)

const plural = (n, one, many) => `${grouped(n)} ${n === 1 ? one : many}`

/**
 * Every entry of the search (id and version), paging by its cursor, before anything is changed: an
 * archive would otherwise move entries out of the very search being paged.
 */
export async function collectTargets(searchUrl, onProgress, limits) {
  const pageSize = sizeOf(limits?.searchPageMax, COLLECT_PAGE)
  const targets = []
  let after
  do {
    const sep = searchUrl.includes('?') ? '&' : '?'
    const cursor = after ? `&after=${encodeURIComponent(after)}` : ''
    const page = await api('GET', `${searchUrl}${sep}limit=${pageSize}${cursor}`)
    for (const e of page.results) targets.push({ id: e.id, version: e.version })
    onProgress(targets.length)
    after = page.cursor
  } while (after)
  return targets
}

/** Sends `patches` to each target in chunks; `onProgress(done, summary)` after each chunk. */
export function sendBatch(targets, patches, onProgress, limits) {
  return runChunks(
    targets,
    sizeOf(limits?.patchEntriesPerRequest, BATCH_CHUNK),
    async (part) => (await api('PATCH', `${API}/mediaLibrary`, batchBody(part, patches))).results,
    onProgress,
  )
}

/** The fields a batch edit offers: the text and choice properties of the selected entries' media types. */
export function editableFields(mediaTypes, handles) {
  const seen = new Map()
  for (const type of mediaTypes) {
    if (!handles.has(type.handle)) continue
    for (const def of type.metadata ?? []) {
      if (def.config?.hideFromForm || seen.has(def.handle)) continue
      if (def.type === 'li-text' || def.type === 'li-enum') seen.set(def.handle, def)
    }
  }
  return [...seen.values()]
}

/** The bar under the grid while entries are selected: what is selected and what can be done with it. */
export function SelectionBar({ count, total, allMatching, busy, onSelectAll, onClear, onEdit, onArchive }) {
  const n = allMatching ? total : count
  // Archiving is two steps, as on the entry page: an archived entry leaves the default searches.
  const [confirming, setConfirming] = useState(false)
  useEffect(() => setConfirming(false), [n, allMatching])
  return html`<section class="selection-bar" aria-label="Selection">
    <p class="selection-count" aria-live="polite">
      ${allMatching ? `All ${plural(total, 'matching entry', 'matching entries')} selected` : `${plural(count, 'entry', 'entries')} selected`}
    </p>
    ${
      !allMatching &&
      total > count &&
      html`<button type="button" class="secondary" disabled=${busy} onClick=${onSelectAll}>
        Select all ${grouped(total)} matching
      </button>`
    }
    <button type="button" disabled=${busy} onClick=${onEdit}>Edit a field…</button>
    ${
      confirming
        ? html`<button type="button" class="danger" disabled=${busy} onClick=${onArchive}>
              Confirm: archive ${plural(n, 'entry', 'entries')}
            </button>
            <button type="button" class="secondary" onClick=${() => setConfirming(false)}>Keep them</button>`
        : html`<button type="button" disabled=${busy} onClick=${() => setConfirming(true)}>
            Archive ${plural(n, 'entry', 'entries')}…
          </button>`
    }
    <button type="button" class="secondary" disabled=${busy} onClick=${onClear}>Clear selection</button>
  </section>`
}

/** A batch under way: collecting the matching entries, then sending chunks. */
export function BatchProgress({ progress }) {
  if (!progress) return null
  const { verb, done, total } = progress
  return html`<div class="batch-progress" role="status">
    <label for="batch-progress">${verb}: ${grouped(done)} of ${grouped(total)}</label>
    <progress id="batch-progress" max=${total} value=${done}></progress>
  </div>`
}

/** What a finished batch did: how many were saved, and each failed entry (a link) with the API's reason. */
export function BatchSummary({ summary }) {
  const ref = useRef(null)
  // The result takes the focus (and scrolls into view): the selection bar that had it is gone.
  useEffect(() => ref.current?.focus(), [summary])
  if (!summary) return null
  const { verb, saved, failed } = summary
  const failures = failed.length ? `; ${plural(failed.length, 'entry', 'entries')} failed:` : '.'
  const text = `${verb} ${plural(saved, 'entry', 'entries')}${failures}`
  return html`<section ref=${ref} class="batch-summary" aria-label="Batch result" tabindex="-1">
    <p role="status">${text}</p>
    ${
      failed.length > 0 &&
      html`<ul class="batch-failures">
        ${failed.slice(0, 200).map(
          (f) =>
            html`<li>
              <a href=${`/entries/${encodeURIComponent(f.id)}`} onClick=${linkClick}>${f.id}</a>
              <span class="error"> (${f.status || 'no answer'}) ${f.reason}</span>
            </li>`,
        )}
      </ul>`
    }
    ${failed.length > 200 && html`<p>…and ${grouped(failed.length - 200)} more.</p>`}
  </section>`
}

function valueText(shared) {
  if (shared.mixed) return '(mixed)'
  const v = shared.value
  return v === undefined || v === null || v === '' ? '(empty)' : String(v)
}

/**
 * The batch edit dialog: one field, its current value over the selection ("(mixed)" where the entries
 * differ, from the loaded entries; `partial` when more are selected than loaded), a new value (empty clears it). A native modal dialog: it keeps the
 * focus inside and Escape closes it.
 */
export function BatchEditDialog({ fields, entries, count, partial, onSave, onClose }) {
  const ref = useRef(null)
  const [handle, setHandle] = useState(fields[0]?.handle ?? '')
  const [value, setValue] = useState('')
  useEffect(() => {
    const dialog = ref.current
    if (dialog instanceof HTMLDialogElement && !dialog.open) dialog.showModal()
  }, [])
  const def = fields.find((f) => f.handle === handle)
  const shared = sharedValue(entries.map((e) => e.metadata?.[handle]))
  const items = def?.type === 'li-enum' ? (def.config?.dataProvider?.items ?? []) : null
  const submit = (e) => {
    e.preventDefault()
    onSave(fieldPatch(handle, value))
  }
  return html`<dialog ref=${ref} class="batch-edit" aria-labelledby="batch-edit-title" onClose=${onClose}>
    <form onSubmit=${submit}>
      <h2 id="batch-edit-title">Edit ${plural(count, 'entry', 'entries')}</h2>
      <div class="field">
        <label for="batch-field">Field</label>
        <select id="batch-field" value=${handle} onChange=${(e) => setHandle(e.currentTarget.value)}>
          ${fields.map((f) => html`<option value=${f.handle}>${f.config?.label ?? f.handle}</option>`)}
        </select>
      </div>
      <p class="batch-current">
        ${partial ? 'Now, in the loaded entries: ' : 'Now: '}<span>${valueText(shared)}</span>
      </p>
      <div class="field">
        <label for="batch-value">New value (empty clears the field)</label>
        ${
          items
            ? html`<select id="batch-value" value=${value} onChange=${(e) => setValue(e.currentTarget.value)}>
                <option value="">(clear)</option>
                ${items.map((i) => html`<option value=${i.value}>${i.label ?? i.value}</option>`)}
              </select>`
            : html`<input
                id="batch-value"
                value=${value}
                onInput=${(e) => setValue(e.currentTarget.value)}
              />`
        }
      </div>
      <div class="actions">
        <button type="submit" disabled=${!def}>Save to ${plural(count, 'entry', 'entries')}</button>
        <button type="button" class="secondary" onClick=${() => ref.current?.close()}>Cancel</button>
      </div>
    </form>
  </dialog>`
}
