/* global localStorage, setTimeout, clearTimeout */
import { useEffect, useState } from 'preact/hooks'
import { API, api } from './api.js'
import { dateTime } from './format.js'
import { html } from './html.js'
import { linkClick } from './router.js'

const KINDS = { images: 'image', videos: 'video', files: 'file' }
const STORAGE = 'medialib.importJobs'
const POLL_MS = 1000

function rememberedJobs() {
  try {
    const jobs = JSON.parse(localStorage.getItem(STORAGE) ?? '[]')
    return Array.isArray(jobs) ? jobs.filter((j) => j && typeof j.id === 'string' && KINDS[j.kind]) : []
  } catch {
    return []
  }
}

function remember(jobs) {
  localStorage.setItem(STORAGE, JSON.stringify(jobs.slice(0, 20)))
}

/** The items of a status answer: `images`, `videos` or `files`, as the reference names them. */
function itemsOf(status, kind) {
  return status?.[kind] ?? []
}

function Job({ job, onForget }) {
  const [status, setStatus] = useState(null)
  const [error, setError] = useState('')
  useEffect(() => {
    let timer
    let stopped = false
    const poll = async () => {
      try {
        const s = await api('GET', `${API}/import/${job.kind}/status?id=${encodeURIComponent(job.id)}`)
        if (stopped) return
        setStatus(s)
        setError('')
        const webhookPending = s.webhook && s.webhook.state !== 'delivered' && s.webhook.state !== 'failed'
        if (!s.finished || webhookPending) timer = setTimeout(poll, s.finished ? POLL_MS * 2 : POLL_MS)
      } catch (err) {
        if (stopped) return
        setError(err.message)
        timer = setTimeout(poll, POLL_MS * 5)
      }
    }
    poll()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [job.id, job.kind])

  const items = itemsOf(status, job.kind)
  const count = (state) => items.filter((i) => i.state === state).length
  // The reference's status has no counts while a job runs; `progress` is read when a server adds it.
  const total = status?.progress?.total ?? status?.overview?.total ?? job.total ?? items.length
  const done = status?.progress
    ? status.progress.done
    : status?.overview
      ? (status.overview.success ?? 0) + (status.overview.skipped ?? 0) + (status.overview.failed ?? 0)
      : items.filter((i) => i.state === 'success' || i.state === 'skipped' || i.state === 'failed').length
  const kind = KINDS[job.kind]
  return html`<article class="job" aria-labelledby=${`job-${job.id}`}>
    <h2 id=${`job-${job.id}`}>${job.kind} job <code>${job.id}</code></h2>
    <p class="job-line">
      <span>${`Started ${dateTime(status?.startedAt ?? job.startedAt)} · state`}</span>
      <strong class=${`job-state state-${status?.state}`}>${status ? status.state : 'loading…'}</strong>
      <span>${status?.finished ? '(finished)' : status ? '(running…)' : ''}</span>
    </p>
    ${error && html`<p class="error" role="alert">Cannot read the job's status: ${error}</p>`}
    ${
      total > 0 &&
      html`<label class="progress"
        >Progress ${done} of ${total}
        <progress max=${total} value=${done}>${done} of ${total}</progress></label
      >`
    }
    <p aria-live="polite">
      ${
        status?.finished
          ? `${count('success')} imported · ${count('skipped')} skipped · ${count('failed')} failed`
          : 'Items are reported when the job finishes.'
      }
    </p>
    ${
      status?.webhook &&
      html`<p class="job-line">
        <span>Webhook delivery</span>
        <strong class="webhook-state">${status.webhook.state}</strong>
        <span
          >${status.webhook.attempts !== undefined ? `after ${status.webhook.attempts} attempt(s)` : ''}</span
        >
        ${status.webhook.lastError && html`<span class="error">${status.webhook.lastError}</span>`}
      </p>`
    }
    ${
      items.length > 0 &&
      html`<table class="list">
        <caption class="sr-only">
          Items of job ${job.id}
        </caption>
        <thead>
          <tr>
            <th scope="col">Id (externalId)</th>
            <th scope="col">State</th>
            <th scope="col">Reason</th>
            <th scope="col">Entry</th>
          </tr>
        </thead>
        <tbody>
          ${items.map((item) => {
            const media = item[kind]
            return html`<tr class=${`item-${item.state}`}>
              <td>${item.externalId}</td>
              <td>${item.state}</td>
              <td>${item.reason ?? ''}</td>
              <td>
                ${media?.mediaId ? html`<a href=${`/entries/${encodeURIComponent(media.mediaId)}`} onClick=${linkClick}>${media.mediaId}</a>` : ''}
              </td>
            </tr>`
          })}
        </tbody>
      </table>`
    }
    <button type="button" class="secondary" onClick=${() => onForget(job.id)}>Stop watching</button>
  </article>`
}

function NewImport({ session, onStarted }) {
  const [kind, setKind] = useState('images')
  const [systemName, setSystemName] = useState('')
  const [urls, setUrls] = useState('')
  const [webhook, setWebhook] = useState('')
  const [error, setError] = useState('')
  const submit = async (event) => {
    event.preventDefault()
    const lines = urls
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)
    if (!lines.length) return setError('Give at least one URL.')
    const items = lines.map((line) => {
      const [url, id] = line.split(/\s+/)
      return { url, id: id ?? url.split('/').pop() }
    })
    try {
      const res = await api('POST', `${API}/import/${kind}`, {
        systemName,
        ...(webhook.trim() ? { webhook: webhook.trim() } : {}),
        [kind]: items,
      })
      setError('')
      setUrls('')
      onStarted({ id: res.id, kind, total: items.length, startedAt: new Date().toISOString() })
    } catch (err) {
      const d = err.body?.error_details
      setError(
        d && typeof d === 'object'
          ? Object.entries(d)
              .map(([k, v]) =>
                k === 'message' ? v : `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`,
              )
              .join('; ')
          : err.message,
      )
    }
  }
  if (!session.scopes.includes('public-api:write')) {
    return html`<p class="hint">Starting and watching URL imports needs a token with the write scope.</p>`
  }
  return html`<form class="new-import" onSubmit=${submit} aria-labelledby="new-import-h">
    <h2 id="new-import-h">Import from URLs</h2>
    <div class="field">
      <label for="i-kind">Kind</label>
      <select id="i-kind" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
        <option value="images">Images</option>
        <option value="videos">Videos</option>
        <option value="files">Files</option>
      </select>
    </div>
    <div class="field">
      <label for="i-system">System name</label>
      <input
        id="i-system"
        required
        value=${systemName}
        onInput=${(e) => setSystemName(e.currentTarget.value)}
      />
    </div>
    <div class="field grow">
      <label for="i-urls">URLs, one per line, optionally followed by a space and the item's id</label>
      <textarea
        id="i-urls"
        rows="4"
        value=${urls}
        onInput=${(e) => setUrls(e.currentTarget.value)}
      ></textarea>
    </div>
    <div class="field grow">
      <label for="i-webhook">Webhook URL (optional): told when the job finishes</label>
      <input id="i-webhook" type="url" value=${webhook} onInput=${(e) => setWebhook(e.currentTarget.value)} />
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <button type="submit">Start import</button>
  </form>`
}

/** URL-import jobs: start one, and watch remembered jobs with live progress and per-item results. */
export function ImportsPage({ session }) {
  const [jobs, setJobs] = useState(rememberedJobs)
  const [watchId, setWatchId] = useState('')
  const [watchKind, setWatchKind] = useState('images')
  const update = (next) => {
    setJobs(next)
    remember(next)
  }
  const add = (job) => update([job, ...jobs.filter((j) => j.id !== job.id)])
  return html`<main id="main">
    <h1>Imports</h1>
    <${NewImport} session=${session} onStarted=${add} />
    <form
      class="watch"
      onSubmit=${(e) => {
        e.preventDefault()
        if (watchId.trim()) add({ id: watchId.trim(), kind: watchKind, startedAt: undefined })
        setWatchId('')
      }}
    >
      <div class="field">
        <label for="w-id">Watch a job by id</label>
        <input id="w-id" value=${watchId} onInput=${(e) => setWatchId(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="w-kind">Kind</label>
        <select id="w-kind" value=${watchKind} onChange=${(e) => setWatchKind(e.currentTarget.value)}>
          <option value="images">Images</option>
          <option value="videos">Videos</option>
          <option value="files">Files</option>
        </select>
      </div>
      <button type="submit" class="secondary">Watch</button>
    </form>
    ${jobs.length === 0 && html`<p class="empty">No jobs watched yet. Jobs started here are remembered in this browser.</p>`}
    ${jobs.map((job) => html`<${Job} key=${job.id} job=${job} onForget=${(id) => update(jobs.filter((j) => j.id !== id))} />`)}
  </main>`
}
