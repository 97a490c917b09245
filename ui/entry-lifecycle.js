import { useEffect, useState } from 'preact/hooks'
import { API, api } from './api.js'
import { dateTime } from './format.js'
import { html } from './html.js'
import { MetadataField, toValue } from './metadata-form.js'
import { navigate } from './router.js'

/**
 * The entry's lifecycle on its page (issue #16): protection ("stored in archive"), delete to the trash,
 * and the usage log. Each section PATCHes with the entry's version and then asks the page to reload it.
 */

/** The API's words for a refused request: `error_details.message`, else each detail, else the status. */
export function problemText(err) {
  const details = err?.body?.error_details
  if (details && typeof details === 'object') {
    if (typeof details.message === 'string') return details.message
    const parts = Object.entries(details)
      .filter(([k]) => k !== 'name')
      .map(([k, v]) => `${k}: ${v}`)
    if (parts.length) return parts.join('; ')
  }
  return err?.message ?? String(err)
}

const entryUrl = (id) => `${API}/mediaLibrary/${encodeURIComponent(id)}`

function Message({ message }) {
  if (!message) return null
  const ok = message.kind === 'ok'
  return html`<p class=${ok ? 'ok' : 'error'} role=${ok ? 'status' : 'alert'}>${message.text}</p>`
}

/** Store in archive / remove from archive, and delete (to the trash) behind a confirmation. */
export function ProtectionSection({ entry, session, onChanged }) {
  const canWrite = session.scopes.includes('public-api:write')
  const canDelete = session.scopes.includes('media-library:delete')
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState(null)
  const [confirmDelete, setConfirmDelete] = useState(false)
  useEffect(() => {
    setMessage(null)
    setConfirmDelete(false)
  }, [entry.id])

  const patch = async (operation, done) => {
    setBusy(true)
    setMessage(null)
    try {
      await api('PATCH', entryUrl(entry.id), { version: entry.version, patches: [{ operation }] })
      const fresh = await onChanged()
      setMessage({ kind: 'ok', text: `${done}: version ${fresh?.version}.` })
    } catch (err) {
      setMessage({ kind: 'error', text: `Not changed: ${problemText(err)}` })
    } finally {
      setBusy(false)
    }
  }
  const remove = async () => {
    setBusy(true)
    setMessage(null)
    try {
      await api('DELETE', entryUrl(entry.id))
      navigate(`/trash?deleted=${encodeURIComponent(entry.id)}`)
    } catch (err) {
      setConfirmDelete(false)
      setBusy(false)
      // A 409 names its reason (usage-log entries, or stored in archive) in the API's own words.
      setMessage({
        kind: 'error',
        text: err.status === 409 ? problemText(err) : `Not deleted: ${problemText(err)}`,
      })
    }
  }

  const stored = entry.storedInArchiveAt !== undefined
  return html`<section aria-labelledby="protect-h">
    <h2 id="protect-h">Protection and deletion</h2>
    <p>
      ${
        stored
          ? html`<span class="badge state-protected">stored in archive</span
              >${` since ${dateTime(entry.storedInArchiveAt)}: protected, it cannot be deleted.`}`
          : 'Not stored in archive: it can be deleted while no usage is logged.'
      }
    </p>
    <${Message} message=${message} />
    <div class="actions">
      ${
        canWrite &&
        (stored
          ? html`<button
              type="button"
              class="secondary"
              disabled=${busy}
              onClick=${() => patch('removeFromArchive', 'Removed from archive')}
            >
              Remove from archive (unprotect)
            </button>`
          : html`<button
              type="button"
              class="secondary"
              disabled=${busy}
              onClick=${() => patch('storeInArchive', 'Stored in archive')}
            >
              Store in archive (protect)
            </button>`)
      }
      ${
        canDelete &&
        (confirmDelete
          ? html`<button type="button" class="danger" disabled=${busy} onClick=${remove}>
                Confirm: move to the trash
              </button>
              <button type="button" class="secondary" onClick=${() => setConfirmDelete(false)}>
                Cancel
              </button>`
          : html`<button
              type="button"
              class="danger"
              disabled=${busy}
              onClick=${() => setConfirmDelete(true)}
            >
              Delete…
            </button>`)
      }
    </div>
    ${
      confirmDelete &&
      html`<p class="hint" role="status">
        The entry goes to the trash: hidden from the library and the API, restorable from the Trash page until
        the worker purges it.
      </p>`
    }
    ${!canDelete && html`<p class="hint">Deleting needs a token with the scope <code>media-library:delete</code>.</p>`}
  </section>`
}

const EMPTY_FORM = { purpose: '', url: '', state: 'pending', publicationDate: '', params: {} }

/** The details of a refused add: each `…params.<handle>` under its field, the rest as one message. */
function usageErrors(err) {
  const details = err?.body?.error_details ?? {}
  const fields = {}
  const rest = []
  for (const [k, v] of Object.entries(details)) {
    const param = /\.params\.([^.]+)/.exec(k)
    if (param) fields[param[1]] = String(v)
    else if (/\.publicationDate$/.test(k)) fields['#publicationDate'] = String(v)
    else rest.push(k === 'message' ? String(v) : `${k}: ${v}`)
  }
  return { fields, text: rest.join('; ') || (Object.keys(fields).length ? '' : problemText(err)) }
}

function UsageRow({ usage, purposes, canWrite, busy, onRemove }) {
  const label = purposes.find((p) => p.handle === usage.purpose)?.label ?? usage.purpose
  const params = Object.entries(usage.params ?? {})
  return html`<tr>
    <td>${label}</td>
    <td>${usage.state}</td>
    <td>${usage.url ? html`<a href=${usage.url} rel="noopener noreferrer">${usage.url}</a>` : '—'}</td>
    <td>${usage.publicationDate ? dateTime(usage.publicationDate) : '—'}</td>
    <td>${dateTime(usage.reportingDate)}</td>
    <td>
      ${params.length ? params.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ') : '—'}
    </td>
    ${
      canWrite &&
      html`<td>
        <button
          type="button"
          class="secondary"
          disabled=${busy}
          aria-label=${`Remove the usage ${label}${usage.url ? ` at ${usage.url}` : ''}`}
          onClick=${() => onRemove(usage)}
        >
          Remove
        </button>
      </td>`
    }
  </tr>`
}

/** The usage log (`GET …/{id}/usageLog`), with adding and removing entries for the project's purposes. */
export function UsageLogSection({ entry, session, onChanged }) {
  const canWrite = session.scopes.includes('public-api:write')
  const purposes = session.usagePurposes ?? []
  const [log, setLog] = useState(null)
  const [loadError, setLoadError] = useState('')
  const [form, setForm] = useState({ ...EMPTY_FORM, purpose: purposes[0]?.handle ?? '' })
  const [errors, setErrors] = useState({})
  const [message, setMessage] = useState(null)
  const [busy, setBusy] = useState(false)
  const purpose = purposes.find((p) => p.handle === form.purpose)

  useEffect(() => {
    let current = true
    api('GET', `${entryUrl(entry.id)}/usageLog`).then(
      (r) => current && (setLog(r.results), setLoadError('')),
      (err) => current && setLoadError(problemText(err)),
    )
    return () => {
      current = false
    }
  }, [entry.id, entry.version])

  const run = async (patch, done) => {
    setBusy(true)
    setMessage(null)
    try {
      await api('PATCH', entryUrl(entry.id), { version: entry.version, patches: [patch] })
      await onChanged()
      setMessage({ kind: 'ok', text: done })
      return true
    } catch (err) {
      const { fields, text } = usageErrors(err)
      setErrors(fields)
      setMessage({ kind: 'error', text: `Not saved${text ? `: ${text}` : ': fix the marked fields.'}` })
      return false
    } finally {
      setBusy(false)
    }
  }

  const add = async (event) => {
    event.preventDefault()
    const value = { purpose: form.purpose, state: form.state }
    if (form.url.trim()) value.url = form.url.trim()
    if (form.publicationDate) value.publicationDate = new Date(form.publicationDate).toISOString()
    const params = {}
    const local = {}
    for (const def of purpose?.paramsSchema ?? []) {
      try {
        const v = toValue(def, form.params[def.handle] ?? '')
        if (v !== undefined) params[def.handle] = v
      } catch (err) {
        local[def.handle] = err.message
      }
    }
    setErrors(local)
    if (Object.keys(local).length)
      return setMessage({ kind: 'error', text: 'Not saved: fix the marked fields.' })
    if (Object.keys(params).length) value.params = params
    const ok = await run({ operation: 'addUsageLogEntry', value }, 'Usage added.')
    if (ok) {
      setForm({ ...EMPTY_FORM, purpose: form.purpose })
      setErrors({})
    }
  }

  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value })
  return html`<section aria-labelledby="usage-h">
    <h2 id="usage-h">Usage log</h2>
    ${loadError && html`<p class="error" role="alert">The usage log cannot be read: ${loadError}</p>`}
    ${log === null && !loadError && html`<p class="loading">Loading the usage log…</p>`}
    ${log && log.length === 0 && html`<p class="empty">No usage is logged: the entry is unused.</p>`}
    ${
      log &&
      log.length > 0 &&
      html`<table class="list usage">
        <caption class="sr-only">
          Where the entry is used
        </caption>
        <thead>
          <tr>
            <th scope="col">Purpose</th>
            <th scope="col">State</th>
            <th scope="col">URL</th>
            <th scope="col">Published</th>
            <th scope="col">Reported</th>
            <th scope="col">Params</th>
            ${canWrite && html`<th scope="col"><span class="sr-only">Actions</span></th>`}
          </tr>
        </thead>
        <tbody>
          ${log.map(
            (u) =>
              html`<${UsageRow}
                key=${u.id}
                usage=${u}
                purposes=${purposes}
                canWrite=${canWrite}
                busy=${busy}
                onRemove=${(usage) =>
                  run({ operation: 'removeUsageLogEntry', usageLogEntryId: usage.id }, 'Usage removed.')}
              />`,
          )}
        </tbody>
      </table>`
    }
    <${Message} message=${message} />
    ${
      canWrite &&
      purposes.length > 0 &&
      html`<form class="usage-add" onSubmit=${add} aria-labelledby="usage-add-h" novalidate>
        <h3 id="usage-add-h">Log a usage</h3>
        <div class="filters">
          <div class="field">
            <label for="u-purpose">Purpose</label>
            <select
              id="u-purpose"
              value=${form.purpose}
              onChange=${(e) => setForm({ ...form, purpose: e.currentTarget.value, params: {} })}
            >
              ${purposes.map((p) => html`<option value=${p.handle}>${p.label}</option>`)}
            </select>
          </div>
          <div class="field grow">
            <label for="u-url">URL (optional)</label>
            <input id="u-url" type="url" value=${form.url} onInput=${set('url')} />
          </div>
          <div class="field">
            <label for="u-state">Usage state</label>
            <select id="u-state" value=${form.state} onChange=${set('state')}>
              <option value="pending">pending</option>
              <option value="confirmed">confirmed</option>
            </select>
          </div>
          <div class=${`field ${errors['#publicationDate'] ? 'invalid' : ''}`}>
            <label for="u-published"
              >Publication date${form.state === 'confirmed' ? ' (required)' : ''}</label
            >
            <input
              id="u-published"
              type="datetime-local"
              value=${form.publicationDate}
              onInput=${set('publicationDate')}
              aria-invalid=${errors['#publicationDate'] ? 'true' : undefined}
              aria-describedby=${errors['#publicationDate'] ? 'u-published-error' : undefined}
            />
            ${errors['#publicationDate'] && html`<span id="u-published-error" class="error">${errors['#publicationDate']}</span>`}
          </div>
        </div>
        ${(purpose?.paramsSchema ?? []).map(
          (def) =>
            html`<${MetadataField}
              key=${def.handle}
              def=${def}
              idPrefix="u-"
              text=${form.params[def.handle] ?? (def.type === 'li-boolean' ? false : '')}
              error=${errors[def.handle]}
              readOnly=${busy}
              onChange=${(v) => setForm((f) => ({ ...f, params: { ...f.params, [def.handle]: v } }))}
            />`,
        )}
        <button type="submit" disabled=${busy}>Add usage</button>
      </form>`
    }
  </section>`
}
