// The usage log on the entry page (issue #16; split from entry-lifecycle.tsx): the entry's uses, adding one for
// a project's purpose and removing one.
import { useEffect, useState } from 'preact/hooks'
import type { TargetedEvent } from 'preact'
import { ApiError, messageOf } from './api.js'
import { client, ok, patchEntry, version } from './api-client.js'
import type { Patch, UsageLogEntry, UsagePurpose } from './api-types.js'
import { dateTime } from './format.js'
import { type FieldText, MetadataField, toValue } from './metadata-form.js'
import { Message, type Notice, problemText, type SectionProps } from './entry-lifecycle.js'

interface UsageForm {
  purpose: string
  url: string
  state: 'pending' | 'confirmed'
  publicationDate: string
  params: Record<string, FieldText>
}
type UsageValue = Partial<UsageLogEntry> & { purpose: string; state: UsageForm['state'] }

const EMPTY_FORM: UsageForm = { purpose: '', url: '', state: 'pending', publicationDate: '', params: {} }

/** The details of a refused add: each `…params.<handle>` under its field, the rest as one message. */
function usageErrors(err: unknown): { fields: Record<string, string>; text: string } {
  const details = (err instanceof ApiError ? err.body?.error_details : undefined) ?? {}
  const fields: Record<string, string> = {}
  const rest: string[] = []
  for (const [k, v] of Object.entries(details)) {
    const param = /\.params\.([^.]+)/.exec(k)
    if (param?.[1]) fields[param[1]] = String(v)
    else if (/\.publicationDate$/.test(k)) fields['#publicationDate'] = String(v)
    else rest.push(k === 'message' ? String(v) : `${k}: ${v}`)
  }
  return { fields, text: rest.join('; ') || (Object.keys(fields).length ? '' : problemText(err)) }
}

interface UsageRowProps {
  usage: UsageLogEntry
  purposes: UsagePurpose[]
  canWrite: boolean
  busy: boolean
  onRemove: (usage: UsageLogEntry) => void
}

function UsageRow({ usage, purposes, canWrite, busy, onRemove }: UsageRowProps) {
  const label = purposes.find((p) => p.handle === usage.purpose)?.label ?? usage.purpose
  const params = Object.entries(usage.params ?? {})
  return (
    <tr>
      <td>{label}</td>
      <td>{usage.state}</td>
      <td>
        {usage.url ? (
          <a href={usage.url} rel="noopener noreferrer">
            {usage.url}
          </a>
        ) : (
          '—'
        )}
      </td>
      <td>{usage.publicationDate ? dateTime(usage.publicationDate) : '—'}</td>
      <td>{dateTime(usage.reportingDate)}</td>
      <td>
        {params.length
          ? params.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')
          : '—'}
      </td>
      {canWrite && (
        <td>
          <button
            type="button"
            class="secondary"
            disabled={busy}
            aria-label={`Remove the usage ${label}${usage.url ? ` at ${usage.url}` : ''}`}
            onClick={() => onRemove(usage)}
          >
            Remove
          </button>
        </td>
      )}
    </tr>
  )
}

/** The usage log (`GET …/{id}/usageLog`), with adding and removing entries for the project's purposes. */
export function UsageLogSection({ entry, session, onChanged }: SectionProps) {
  const canWrite = session.scopes.includes('public-api:write')
  const purposes = session.usagePurposes ?? []
  const [log, setLog] = useState<UsageLogEntry[] | null>(null)
  const [loadError, setLoadError] = useState('')
  const [form, setForm] = useState<UsageForm>({ ...EMPTY_FORM, purpose: purposes[0]?.handle ?? '' })
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [message, setMessage] = useState<Notice | null>(null)
  const [busy, setBusy] = useState(false)
  const purpose = purposes.find((p) => p.handle === form.purpose)

  useEffect(() => {
    let current = true
    ok(
      client.GET('/api/{apiVersion}/mediaLibrary/{id}/usageLog', {
        params: { path: { ...version, id: entry.id } },
      }),
    ).then(
      (r) => current && (setLog(r.results), setLoadError('')),
      (err) => current && setLoadError(problemText(err)),
    )
    return () => {
      current = false
    }
  }, [entry.id, entry.version])

  const run = async (patch: Patch, done: string) => {
    setBusy(true)
    setMessage(null)
    try {
      await patchEntry(entry.id, { version: entry.version, patches: [patch] })
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

  const add = async (event: Event) => {
    event.preventDefault()
    const value: UsageValue = { purpose: form.purpose, state: form.state }
    if (form.url.trim()) value.url = form.url.trim()
    if (form.publicationDate) value.publicationDate = new Date(form.publicationDate).toISOString()
    const params: Record<string, unknown> = {}
    const local: Record<string, string> = {}
    for (const def of purpose?.paramsSchema ?? []) {
      try {
        const v = toValue(def, form.params[def.handle] ?? '')
        if (v !== undefined) params[def.handle] = v
      } catch (err) {
        local[def.handle] = messageOf(err)
      }
    }
    setErrors(local)
    if (Object.keys(local).length) {
      setMessage({ kind: 'error', text: 'Not saved: fix the marked fields.' })
      return
    }
    if (Object.keys(params).length) value.params = params
    const saved = await run({ operation: 'addUsageLogEntry', value }, 'Usage added.')
    if (saved) {
      setForm({ ...EMPTY_FORM, purpose: form.purpose })
      setErrors({})
    }
  }

  const set =
    (key: 'url' | 'state' | 'publicationDate') => (e: TargetedEvent<HTMLInputElement | HTMLSelectElement>) =>
      setForm({ ...form, [key]: e.currentTarget.value })
  return (
    <section aria-labelledby="usage-h">
      <h2 id="usage-h">Usage log</h2>
      {loadError && (
        <p class="error" role="alert">
          The usage log cannot be read: {loadError}
        </p>
      )}
      {log === null && !loadError && <p class="loading">Loading the usage log…</p>}
      {log && log.length === 0 && <p class="empty">No usage is logged: the entry is unused.</p>}
      {log && log.length > 0 && (
        <table class="list usage">
          <caption class="sr-only">Where the entry is used</caption>
          <thead>
            <tr>
              <th scope="col">Purpose</th>
              <th scope="col">State</th>
              <th scope="col">URL</th>
              <th scope="col">Published</th>
              <th scope="col">Reported</th>
              <th scope="col">Params</th>
              {canWrite && (
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {log.map((u) => (
              <UsageRow
                key={u.id}
                usage={u}
                purposes={purposes}
                canWrite={canWrite}
                busy={busy}
                onRemove={(usage) =>
                  run({ operation: 'removeUsageLogEntry', usageLogEntryId: usage.id }, 'Usage removed.')
                }
              />
            ))}
          </tbody>
        </table>
      )}
      <Message message={message} />
      {canWrite && purposes.length > 0 && (
        <form class="usage-add" onSubmit={add} aria-labelledby="usage-add-h" novalidate>
          <h3 id="usage-add-h">Log a usage</h3>
          <div class="filters">
            <div class="field">
              <label for="u-purpose">Purpose</label>
              <select
                id="u-purpose"
                value={form.purpose}
                onChange={(e) => setForm({ ...form, purpose: e.currentTarget.value, params: {} })}
              >
                {purposes.map((p) => (
                  <option value={p.handle}>{p.label}</option>
                ))}
              </select>
            </div>
            <div class="field grow">
              <label for="u-url">URL (optional)</label>
              <input id="u-url" type="url" value={form.url} onInput={set('url')} />
            </div>
            <div class="field">
              <label for="u-state">Usage state</label>
              <select id="u-state" value={form.state} onChange={set('state')}>
                <option value="pending">pending</option>
                <option value="confirmed">confirmed</option>
              </select>
            </div>
            <div class={`field ${errors['#publicationDate'] ? 'invalid' : ''}`}>
              <label for="u-published">
                Publication date{form.state === 'confirmed' ? ' (required)' : ''}
              </label>
              <input
                id="u-published"
                type="datetime-local"
                value={form.publicationDate}
                onInput={set('publicationDate')}
                aria-invalid={errors['#publicationDate'] ? true : undefined}
                aria-describedby={errors['#publicationDate'] ? 'u-published-error' : undefined}
              />
              {errors['#publicationDate'] && (
                <span id="u-published-error" class="error">
                  {errors['#publicationDate']}
                </span>
              )}
            </div>
          </div>
          {(purpose?.paramsSchema ?? []).map((def) => (
            <MetadataField
              key={def.handle}
              def={def}
              idPrefix="u-"
              text={form.params[def.handle] ?? (def.type === 'li-boolean' ? false : '')}
              error={errors[def.handle]}
              disabled={busy}
              onChange={(v) => setForm((f) => ({ ...f, params: { ...f.params, [def.handle]: v } }))}
            />
          ))}
          <button type="submit" disabled={busy}>
            Add usage
          </button>
        </form>
      )}
    </section>
  )
}
