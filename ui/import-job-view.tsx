// A URL-import job on the imports page (split from imports.tsx): its state, live progress and webhook
// delivery, and each item's result from the status endpoint once it has finished.
import { useEffect, useState } from 'preact/hooks'
import type { JobProgressView } from '../src/jobs/job-views.js'
import { messageOf } from './api.js'
import { client, ok, version } from './api-client.js'
import type { Schemas } from './api-types.js'
import { dateTime, plural } from './format.js'
import { linkClick } from './router.js'

export type ImportKind = JobProgressView['kind']
/** A job as `GET /ui/imports` lists it (src/jobs/job-views.ts). */
export type Job = JobProgressView
type StatusAnswer = Schemas['ImageImportStatus'] | Schemas['VideoImportStatus'] | Schemas['FileImportStatus']
/** One item of a status answer; its entry is under `image`, `video` or `file`. */
interface StatusItem {
  state: string
  reason?: string
  externalId: string
  image?: { mediaId: string }
  video?: { mediaId: string }
  file?: { mediaId: string }
}

const KINDS = { images: 'image', videos: 'video', files: 'file' } as const
/** The items of a status answer: `images`, `videos` or `files`, as the reference names them. */
function itemsOf(status: StatusAnswer, kind: ImportKind): StatusItem[] {
  return (status as Partial<Record<ImportKind, StatusItem[]>>)[kind] ?? []
}

/** `GET …/import/{kind}/status?id=`: each item's result. */
function statusOf(kind: ImportKind, id: string): Promise<StatusAnswer> {
  const params = { path: version, query: { id } }
  if (kind === 'images') return ok(client.GET('/api/{apiVersion}/import/images/status', { params }))
  if (kind === 'videos') return ok(client.GET('/api/{apiVersion}/import/videos/status', { params }))
  return ok(client.GET('/api/{apiVersion}/import/files/status', { params }))
}

/** Each item's result, read from the status endpoint once the job has finished. */
function ItemResults({ job }: { job: Job }) {
  const [status, setStatus] = useState<StatusAnswer | null>(null)
  const [error, setError] = useState('')
  const [attempt, setAttempt] = useState(0)
  useEffect(() => {
    if (!job.finished) return undefined
    let current = true
    setError('')
    statusOf(job.kind, job.id).then(
      (s) => current && setStatus(s),
      (err: unknown) => current && setError(messageOf(err)),
    )
    return () => {
      current = false
    }
  }, [job.id, job.kind, job.finished, attempt])
  if (!job.finished) return <p class="hint">Each item's result is listed when the job finishes.</p>
  if (error) {
    return (
      <p class="error" role="alert">
        Cannot read the job's items: {error}
        <button type="button" class="secondary" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </p>
    )
  }
  if (!status) return <p class="hint">Reading the job's items…</p>
  const items = itemsOf(status, job.kind)
  const kind = KINDS[job.kind]
  return (
    <table class="list">
      <caption class="sr-only">Items of job {job.id}</caption>
      <thead>
        <tr>
          <th scope="col">Id (externalId)</th>
          <th scope="col">State</th>
          <th scope="col">Reason</th>
          <th scope="col">Entry</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => {
          const media = item[kind]
          return (
            <tr class={`item-${item.state}`}>
              <td>{item.externalId}</td>
              <td>{item.state}</td>
              <td>{item.reason ?? ''}</td>
              <td>
                {media?.mediaId ? (
                  <a href={`/entries/${encodeURIComponent(media.mediaId)}`} onClick={linkClick}>
                    {media.mediaId}
                  </a>
                ) : (
                  ''
                )}
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

/** A job as the server's job list shows it: state, live progress, webhook delivery, and its items. */
export function JobView({ job, open }: { job: Job; open: boolean }) {
  const [showItems, setShowItems] = useState(open)
  useEffect(() => {
    if (open) setShowItems(true) // "Show" for a job already listed opens its items
  }, [open])
  const { items } = job
  return (
    <article class="job" aria-labelledby={`job-${job.id}`}>
      <h2 id={`job-${job.id}`}>
        {job.kind} job <code>{job.id}</code>
      </h2>
      <p class="job-line">
        <span>{`Started ${dateTime(job.startedAt)} · ${job.systemName} · state`}</span>
        <strong class={`job-state state-${job.state}`}>{job.state}</strong>
        <span>{job.finished ? '(finished)' : '(running…)'}</span>
      </p>
      <label class="progress">
        Progress {job.done} of {job.total}
        <progress max={job.total} value={job.done}>
          {job.done} of {job.total}
        </progress>
      </label>
      <p aria-live="polite">
        {`${items.success} imported · ${items.skipped} skipped · ${items.failed} failed`}
        {!job.finished && ` · ${items.running} in progress · ${items.queued} waiting`}
      </p>
      {job.webhook && (
        <p class="job-line">
          <span>Webhook delivery</span>
          <strong class="webhook-state">{job.webhook.state}</strong>
          <span>{`after ${plural(job.webhook.attempts, 'attempt', 'attempts')}`}</span>
          {job.webhook.lastError && <span class="error">{job.webhook.lastError}</span>}
        </p>
      )}
      {showItems ? (
        <ItemResults job={job} />
      ) : (
        <button type="button" class="secondary" onClick={() => setShowItems(true)}>
          Show each item's result
        </button>
      )}
    </article>
  )
}
