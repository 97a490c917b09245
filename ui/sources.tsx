import { useEffect, useState } from 'preact/hooks'
import { API, api, messageOf, queryString } from './api.js'
import { client, ok, version } from './api-client.js'
import type { Schemas, SearchPage } from './api-types.js'
import { dateTime, grouped, plural } from './format.js'
import { linkClick } from './router.js'

/*
 * Sources in the UI (issue #22; docs/sources.md): the Imports page lists the project's sources and their
 * scans, and entries whose source object vanished carry a "Missing" badge (grid, list and entry page), with
 * the library's filter `sourceState=missing`.
 */

type Source = Schemas['SourceList']['sources'][number]
type Scan = Schemas['SourceScan']

const POLL_MS = 1000
const IDLE_POLL_MS = 5000

/** The counts of a scan, in the order the CLI prints them. */
const COUNTS = ['created', 'updated', 'unchanged', 'missing', 'failed'] as const

function ScanTable({ source, scans }: { source: string; scans: Scan[] }) {
  if (scans.length === 0) return <p class="empty">Not scanned yet.</p>
  return (
    <table class="list scans">
      <caption class="sr-only">Scans of {source}, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Started</th>
          <th scope="col">State</th>
          {COUNTS.map((c) => (
            <th scope="col" class="num">
              {c[0]!.toUpperCase() + c.slice(1)}
            </th>
          ))}
          <th scope="col">Ended</th>
        </tr>
      </thead>
      <tbody>
        {scans.map((s) => (
          <tr key={s.id} class={s.state === 'failed' ? 'item-failed' : undefined}>
            <td>{dateTime(s.createdAt)}</td>
            <td>
              {s.state}
              {s.dryRun ? ' (dry run)' : ''}
              {s.state === 'running' &&
                ` · ${plural(s.pending.queued + s.pending.running, 'task', 'tasks')} open`}
              {s.error ? `: ${s.error}` : ''}
            </td>
            {COUNTS.map((c) => (
              <td class="num">{grouped(s.counts[c])}</td>
            ))}
            <td>{s.finishedAt ? dateTime(s.finishedAt) : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/**
 * _Scan now_ (write scope): `POST …/sources/{handle}/scans` queues a scan, which the workers run; the list
 * then polls once a second while it runs. Disabled while the latest scan runs.
 */
function ScanNow({ source, onQueued }: { source: Source; onQueued: () => void }) {
  const [busy, setBusy] = useState(false)
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null)
  const running = source.lastScan?.state === 'running'
  const start = async () => {
    setBusy(true)
    setNotice(null)
    try {
      const scan = await ok(
        client.POST('/api/{apiVersion}/mediaLibrary/sources/{handle}/scans', {
          params: { path: { ...version, handle: source.handle } },
          body: {},
        }),
      )
      setNotice({ ok: true, text: `Scan queued (${scan.id}).` })
      onQueued()
    } catch (err) {
      setNotice({ ok: false, text: `The scan was not started: ${messageOf(err)}` })
    } finally {
      setBusy(false)
    }
  }
  return (
    <p class="job-line">
      <button type="button" class="secondary" disabled={busy || running} onClick={start}>
        Scan now
      </button>
      {running && <span class="hint">A scan is running.</span>}
      {notice && (
        <span class={notice.ok ? 'ok' : 'error'} role={notice.ok ? 'status' : 'alert'}>
          {notice.text}
        </span>
      )}
    </p>
  )
}

/** What one source shows: its scans and how many of its entries are missing (with a link to them). */
function SourceView({
  source,
  canWrite,
  onQueued,
}: {
  source: Source
  canWrite: boolean
  onQueued: () => void
}) {
  const [scans, setScans] = useState<Scan[] | null>(null)
  const [missing, setMissing] = useState<number | null>(null)
  const [error, setError] = useState('')
  const last = source.lastScan
  // Read again whenever the latest scan moves on (a new one, its state or its counts).
  const mark = last ? `${last.id} ${last.state} ${JSON.stringify(last.counts)}` : ''
  useEffect(() => {
    let current = true
    const params = { path: { ...version, handle: source.handle } }
    ok(client.GET('/api/{apiVersion}/mediaLibrary/sources/{handle}/scans', { params })).then(
      (r) => current && (setScans(r.scans), setError('')),
      (err: unknown) => current && setError(`Cannot read the scans: ${messageOf(err)}`),
    )
    const count = queryString({ sourceState: 'missing', systemName: source.handle, count: 'true', limit: 1 })
    api<SearchPage>('GET', `${API}/mediaLibrary${count}`).then(
      (page) => current && setMissing(page.total ?? 0),
      () => current && setMissing(null),
    )
    return () => {
      current = false
    }
  }, [source.handle, mark])
  const failures = last?.failures ?? []
  const headingId = `source-${source.handle}`
  return (
    <article class="job source" aria-labelledby={headingId}>
      <h3 id={headingId}>
        <code>{source.handle}</code>
      </h3>
      <p class="job-line">
        <span>
          {source.kind === 's3' ? `S3${source.prefix ? `, prefix ${source.prefix}` : ''}` : 'Folder on disk'}
          {` · added ${dateTime(source.createdAt)}`}
        </span>
        {missing !== null && missing > 0 && (
          <a
            href={`/${queryString({ sourceState: 'missing', systemName: source.handle })}`}
            onClick={linkClick}
          >
            {`${plural(missing, 'entry', 'entries')} missing from this source`}
          </a>
        )}
        {missing === 0 && <span>No entry missing from this source.</span>}
      </p>
      {canWrite && <ScanNow source={source} onQueued={onQueued} />}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {scans && <ScanTable source={source.handle} scans={scans} />}
      {failures.length > 0 && (
        <details>
          <summary>{`Failed objects of the latest scan (${grouped(failures.length)})`}</summary>
          <ul>
            {failures.map((f) => (
              <li key={f.path}>
                <code>{f.path}</code>: {f.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </article>
  )
}

/**
 * The Imports page's Sources: the project's sources (`GET …/mediaLibrary/sources`, read scope), each with
 * its latest scans. Polled once a second while a scan runs (a scan started by the CLI shows up and counts
 * on), every 5 s otherwise. Sources are added with `medialib sources` (docs/sources.md); a token with the
 * write scope can start a scan here.
 */
export function SourcesSection({ canWrite }: { canWrite: boolean }) {
  const [sources, setSources] = useState<Source[] | null>(null)
  const [error, setError] = useState('')
  const [tick, setTick] = useState(0) // a scan queued here: poll at once
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    let stopped = false
    const poll = async () => {
      try {
        const answer = await ok(
          client.GET('/api/{apiVersion}/mediaLibrary/sources', { params: { path: version } }),
        )
        if (stopped) return
        setSources(answer.sources)
        setError('')
        const running = answer.sources.some((s) => s.lastScan?.state === 'running')
        timer = setTimeout(poll, running ? POLL_MS : IDLE_POLL_MS)
      } catch (err) {
        if (stopped) return
        setError(`Cannot read the sources: ${messageOf(err)}`)
        timer = setTimeout(poll, IDLE_POLL_MS)
      }
    }
    poll()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [tick])
  return (
    <section class="sources" aria-labelledby="sources-heading">
      <h2 id="sources-heading">Sources</h2>
      <p class="hint">
        Folders and buckets whose files are entries where they lie. Add one with <code>medialib sources</code>
        .
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {sources?.length === 0 && <p class="empty">No source in this project.</p>}
      {sources?.map((s) => (
        <SourceView key={s.handle} source={s} canWrite={canWrite} onQueued={() => setTick((t) => t + 1)} />
      ))}
    </section>
  )
}
