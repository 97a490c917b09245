import { useEffect, useRef, useState } from 'preact/hooks'
import { API, api, client, messageOf, ok, queryString, version } from './api.js'
import type { Entry, Schemas, SearchPage } from './api-types.js'
import { dateTime, grouped, plural } from './format.js'
import { linkClick } from './router.js'

/*
 * Sources in the UI (issue #22; docs/sources.md): the Imports page lists the project's sources and their
 * scans, and entries whose source object vanished carry a "Missing" badge (grid, list and entry page), with
 * the library's filter `sourceState=missing`.
 */

type Source = Schemas['SourceList']['sources'][number]
type Scan = Schemas['SourceScan']

/** Most ids one `/ui/source-missing` question names (the server's MISSING_IDS_MAX). */
const MISSING_IDS_MAX = 200
const POLL_MS = 1000
const IDLE_POLL_MS = 5000

/** Whether an entry lies in a source (its asset key is `@source/<handle>/<path>`). */
const fromSource = (entry: Pick<Entry, 'asset'>) => entry.asset?.key?.startsWith('@source/') === true

/**
 * The ids among `entries` whose source object vanished. Asked for after the entries show (never before the
 * first page), only for entries that lie in a source, 200 ids a request, each id once; with `allMissing`
 * (the search filters on it) every entry is, without a request.
 */
export function useMissing(entries: readonly Entry[], allMissing = false): ReadonlySet<string> {
  const [missing, setMissing] = useState<ReadonlySet<string>>(new Set())
  const asked = useRef(new Set<string>())
  useEffect(() => {
    if (allMissing) return undefined
    const ids = entries.filter((e) => fromSource(e) && !asked.current.has(e.id)).map((e) => e.id)
    if (ids.length === 0) return undefined
    for (const id of ids) asked.current.add(id)
    let current = true
    for (let i = 0; i < ids.length; i += MISSING_IDS_MAX) {
      const chunk = ids.slice(i, i + MISSING_IDS_MAX)
      api<{ missing: string[] }>('GET', `/ui/source-missing${queryString({ ids: chunk.join(',') })}`).then(
        ({ missing: found }) => {
          if (current && found.length > 0) setMissing((m) => new Set([...m, ...found]))
        },
        () => {
          for (const id of chunk) asked.current.delete(id) // asked again with the next entries
        },
      )
    }
    return () => {
      current = false
    }
  }, [entries, allMissing])
  return allMissing ? new Set(entries.map((e) => e.id)) : missing
}

/** The badge of an entry whose source object vanished. */
export function MissingBadge() {
  return (
    <span class="badge source-missing" title="The latest scan of its source no longer found its file">
      missing from source
    </span>
  )
}

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

/** What one source shows: its scans and how many of its entries are missing (with a link to them). */
function SourceView({ source }: { source: Source }) {
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
 * on), every 5 s otherwise. Sources are added and scans started with `medialib sources` (docs/sources.md).
 */
export function SourcesSection() {
  const [sources, setSources] = useState<Source[] | null>(null)
  const [error, setError] = useState('')
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
  }, [])
  return (
    <section class="sources" aria-labelledby="sources-heading">
      <h2 id="sources-heading">Sources</h2>
      <p class="hint">
        Folders and buckets whose files are entries where they lie. Add one and start its scans with{' '}
        <code>medialib sources</code>.
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {sources?.length === 0 && <p class="empty">No source in this project.</p>}
      {sources?.map((s) => (
        <SourceView key={s.handle} source={s} />
      ))}
    </section>
  )
}
