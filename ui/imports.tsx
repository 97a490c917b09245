import { useEffect, useRef, useState } from 'preact/hooks'
import type { TargetedEvent } from 'preact'
import { api, ApiError, messageOf } from './api.js'
import { client, ok, version } from './api-client.js'
import type { Session } from './api-types.js'
import { SourcesSection } from './sources.js'
import { type ImportKind, type Job, JobView } from './import-job-view.js'

const POLL_MS = 1000
const IDLE_POLL_MS = 5000

/** Polled once a second while items run; a job waiting only on its webhook's retries is polled at the idle rate. */
const running = (job: Job) => !job.finished

/** `URL` or `URL id` as an item of a URL import; undefined when the line is neither. */
function lineItem(line: string): { url: string; id: string } | undefined {
  const parts = line.split(/\s+/)
  if (parts.length > 2) return undefined
  const [url, id] = parts
  if (!url || !/^https?:\/\/[^/\s]+/i.test(url)) return undefined
  return { url, id: id ?? url.split('/').pop() ?? url }
}

function NewImport({ session, onStarted }: { session: Session; onStarted: (id: string) => void }) {
  const [kind, setKind] = useState<ImportKind>('images')
  const [systemName, setSystemName] = useState('')
  const [urls, setUrls] = useState('')
  const [webhook, setWebhook] = useState('')
  const [error, setError] = useState('')
  const submit = async (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault()
    const lines = urls
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)
    if (!lines.length) {
      setError('Give at least one URL.')
      return
    }
    // A line is a URL, optionally followed by an id: anything else is refused here, naming the line.
    const parsed = lines.map((line) => lineItem(line))
    const bad = parsed.findIndex((item) => item === undefined)
    if (bad >= 0) {
      setError(
        `Line ${bad + 1} is not "URL" or "URL id": ${lines[bad]} (one http(s) URL per line, optionally an id after a space)`,
      )
      return
    }
    const items = parsed.filter((item) => item !== undefined)
    try {
      const common = { systemName, ...(webhook.trim() ? { webhook: webhook.trim() } : {}) }
      const params = { path: version }
      const res =
        kind === 'images'
          ? await ok(
              client.POST('/api/{apiVersion}/import/images', { params, body: { ...common, images: items } }),
            )
          : kind === 'videos'
            ? await ok(
                client.POST('/api/{apiVersion}/import/videos', {
                  params,
                  body: { ...common, videos: items },
                }),
              )
            : await ok(
                client.POST('/api/{apiVersion}/import/files', { params, body: { ...common, files: items } }),
              )
      setError('')
      setUrls('')
      onStarted(res.id)
    } catch (err) {
      const d = err instanceof ApiError ? err.body?.error_details : undefined
      setError(
        d && typeof d === 'object'
          ? Object.entries(d)
              .map(([k, v]) =>
                k === 'message' ? v : `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`,
              )
              .join('; ')
          : messageOf(err),
      )
    }
  }
  if (!session.scopes.includes('public-api:write')) {
    return <p class="hint">Starting and watching URL imports needs a token with the write scope.</p>
  }
  return (
    <form class="new-import" onSubmit={submit} aria-labelledby="new-import-h">
      <h2 id="new-import-h">Import from URLs</h2>
      <div class="field">
        <label for="i-kind">Kind</label>
        <select id="i-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as ImportKind)}>
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
          value={systemName}
          onInput={(e) => setSystemName(e.currentTarget.value)}
        />
      </div>
      <div class="field grow">
        <label for="i-urls">URLs, one per line, optionally followed by a space and the item's id</label>
        <textarea
          id="i-urls"
          rows={4}
          value={urls}
          onInput={(e) => setUrls(e.currentTarget.value)}
        ></textarea>
      </div>
      <div class="field grow">
        <label for="i-webhook">Webhook URL (optional): told when the job finishes</label>
        <input id="i-webhook" type="url" value={webhook} onInput={(e) => setWebhook(e.currentTarget.value)} />
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">Start import</button>
    </form>
  )
}

/**
 * URL-import jobs: start one, and watch the project's newest jobs (from the server, wherever they were
 * started) with live progress, polled once a second while one runs; an older job can be added by id.
 */
export function ImportsPage({ session }: { session: Session }) {
  const canWrite = session.scopes.includes('public-api:write')
  const [jobs, setJobs] = useState<Job[]>([])
  const [pollError, setPollError] = useState('') // the list could not be read; cleared by the next good poll
  const [notice, setNotice] = useState('') // an id asked for by hand that is not a job of this project
  const [watchId, setWatchId] = useState('')
  const extra = useRef<string[]>([]) // ids asked for by hand, not among the newest
  const shown = useRef<Job[]>([]) // the jobs of the last good poll
  const opened = useRef(new Set<string>()) // jobs started or asked for here: their items show without a click
  const [tick, setTick] = useState(0)
  const refresh = () => setTick((t) => t + 1)

  useEffect(() => {
    if (!canWrite) return undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    let stopped = false
    const poll = async () => {
      try {
        const { jobs: recent } = await api<{ jobs: Job[] }>('GET', '/ui/imports')
        const known = new Set(recent.map((j) => j.id))
        const older: Job[] = []
        for (const id of extra.current) {
          if (known.has(id)) continue
          try {
            older.push(await api<Job>('GET', `/ui/imports/${encodeURIComponent(id)}`))
          } catch (err) {
            if (err instanceof ApiError && (err.status === 404 || err.status === 400)) {
              // Not a job of this project: dropped, and said so.
              if (!stopped) setNotice(`No import job '${id}' in this project.`)
              extra.current = extra.current.filter((x) => x !== id)
            } else {
              // Anything else (a 429, a brief outage) keeps the job's last known state; retried next poll.
              const last = shown.current.find((j) => j.id === id)
              if (last) older.push(last)
            }
          }
        }
        if (stopped) return
        const all = [...older, ...recent]
        shown.current = all
        setJobs(all)
        setPollError('')
        timer = setTimeout(poll, all.some(running) ? POLL_MS : IDLE_POLL_MS)
      } catch (err) {
        if (stopped) return
        setPollError(`Cannot read the jobs: ${messageOf(err)}`)
        timer = setTimeout(poll, IDLE_POLL_MS)
      }
    }
    poll()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [canWrite, tick])

  const watch = (id: string) => {
    opened.current.add(id)
    if (!extra.current.includes(id)) extra.current = [id, ...extra.current]
    setNotice('')
    refresh()
  }
  return (
    <main id="main">
      <h1>Imports</h1>
      <NewImport session={session} onStarted={watch} />
      {canWrite && (
        <form
          class="watch"
          onSubmit={(e) => {
            e.preventDefault()
            if (watchId.trim()) watch(watchId.trim())
            setWatchId('')
          }}
        >
          <div class="field">
            <label for="w-id">Show an older job by id</label>
            <input id="w-id" value={watchId} onInput={(e) => setWatchId(e.currentTarget.value)} />
          </div>
          <button type="submit" class="secondary">
            Show
          </button>
        </form>
      )}
      {notice && (
        <p class="error" role="alert">
          {notice}
        </p>
      )}
      {pollError && (
        <p class="error" role="alert">
          {pollError}
        </p>
      )}
      {canWrite && jobs.length === 0 && <p class="empty">No URL import in this project yet.</p>}
      {jobs.map((job) => (
        <JobView key={job.id} job={job} open={opened.current.has(job.id)} />
      ))}
      <SourcesSection canWrite={canWrite} />
    </main>
  )
}
