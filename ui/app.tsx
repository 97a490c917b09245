import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { TargetedEvent } from 'preact'
import { api, ApiError, messageOf } from './api.js'
import type { Session } from './api-types.js'
import './entry-keys.js'
import { FIRST_PAGE_EVENT, LibraryPage } from './library.js'
import { prefetchFirstPage } from './library-query.js'
import { linkClick, navigate, useLocation } from './router.js'

/*
 * The first screen's bundle holds the library (and the login); the entry, Imports and Trash pages are
 * chunks of their own, loaded when first opened, and asked for once the first page is on screen, so that
 * opening an entry does not wait for its code (docs/ui.md, The first screen).
 */
const loadEntry = () => import('./entry.js')
const loadImports = () => import('./imports.js')
const loadTrash = () => import('./trash.js')

/** A page's module once loaded (undefined meanwhile); `load` is one of the constants above. */
function usePageModule<M>(load: () => Promise<M>, wanted: boolean): M | undefined {
  const [module, setModule] = useState<{ m: M }>()
  useEffect(() => {
    if (!wanted || module) return undefined
    let current = true
    load().then((m) => current && setModule({ m }))
    return () => {
      current = false
    }
  }, [wanted])
  return module?.m
}

/** Asks for the other pages' chunks after the first page is on screen (the browser's idle time). */
function prefetchPages(): void {
  const idle = window.requestIdleCallback ?? ((f: () => void) => setTimeout(f, 200))
  idle(() => {
    void loadEntry()
    void loadImports()
    void loadTrash()
  })
}

const pageLoading = (
  <main id="main">
    <p class="loading">Loading…</p>
  </main>
)

function LoginPage({ onLogin }: { onLogin: () => Promise<void> }) {
  const [token, setToken] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const submit = async (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault()
    setBusy(true)
    setError('')
    try {
      await api('POST', '/ui/login', { token })
      setToken('')
      await onLogin()
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'This token is not valid (unknown, mistyped or revoked).'
          : `Login failed: ${messageOf(err)}`,
      )
    } finally {
      setBusy(false)
    }
  }
  return (
    <main id="main" class="login">
      <h1>medialib</h1>
      <p>
        Sign in with a project token (it starts with <code>ml_</code>).
      </p>
      <details>
        <summary>No token yet?</summary>
        <p>
          On the server, run (with the data directory the server uses; for PostgreSQL,
          <code>--database URL</code>)
        </p>
        <pre>
          <code>
            {
              'npx medialib tokens create --data-dir /path/to/data --project default --scope public-api:read --scope public-api:write'
            }
          </code>
        </pre>
        <p>{'Leave out the write scope for a token that can only look.'}</p>
      </details>
      <form onSubmit={submit}>
        <label for="token">Project token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby={error ? 'login-error' : undefined}
        />
        {error && (
          <p id="login-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p class="hint">
        The token is kept in an HttpOnly cookie for this site only; the page's scripts never see it.
      </p>
    </main>
  )
}

function Header({ session, onLogout, path }: { session: Session; onLogout: () => void; path: string }) {
  const canWrite = session.scopes.includes('public-api:write')
  const current = (p: string) =>
    p === '/' ? path === '/' || path.startsWith('/entries/') : path.startsWith(p)
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <a class="brand" href="/" onClick={linkClick}>
        medialib
      </a>
      <nav aria-label="Main">
        <a href="/" onClick={linkClick} aria-current={current('/') ? 'page' : undefined}>
          Library
        </a>
        <a href="/imports" onClick={linkClick} aria-current={current('/imports') ? 'page' : undefined}>
          Imports
        </a>
        <a href="/trash" onClick={linkClick} aria-current={current('/trash') ? 'page' : undefined}>
          Trash
        </a>
      </nav>
      <span class="who">
        Project
        <strong>{session.project}</strong>
        {canWrite ? <span class="badge">read and write</span> : <span class="badge warn">read-only</span>}
      </span>
      <button type="button" class="secondary" onClick={onLogout}>
        Sign out
      </button>
    </header>
  )
}

/** The session: the project, scopes and media types; null when not signed in (401/403). */
/** The session (null: signed out; undefined: unknown, with the failure that says why). */
interface Start {
  session: Session | null | undefined
  failure: string
}

async function fetchSession(): Promise<Start> {
  try {
    return { session: await api<Session>('GET', '/ui/session'), failure: '' }
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403))
      return { session: null, failure: '' }
    return { session: undefined, failure: messageOf(err) }
  }
}

function App({ start }: { start: Start }) {
  const [session, setSession] = useState(start.session)
  const [failure, setFailure] = useState(start.failure)
  const { path, search } = useLocation()
  const entry = usePageModule(loadEntry, !!session && path.startsWith('/entries/'))
  const imports = usePageModule(loadImports, !!session && path === '/imports')
  const trash = usePageModule(loadTrash, !!session && path === '/trash')

  const loadSession = async () => {
    const next = await fetchSession()
    setSession(next.session)
    setFailure(next.failure)
    if (next.session && location.pathname === '/login') navigate('/', { replace: true })
  }
  useEffect(() => {
    if (session && path === '/login') navigate('/', { replace: true })
  }, [])

  const logout = async () => {
    await api('POST', '/ui/logout')
    setSession(null)
    navigate('/login')
  }

  if (failure)
    return (
      <main id="main">
        <p class="error" role="alert">
          The server cannot be reached: {failure}
        </p>
      </main>
    )
  if (session === undefined) return <p class="loading">Loading…</p>
  if (session === null) return <LoginPage onLogin={loadSession} />

  let page
  const entryMatch = /^\/entries\/([^/]+)$/.exec(path)
  if (entryMatch?.[1])
    page = entry ? <entry.EntryPage id={decodeURIComponent(entryMatch[1])} session={session} /> : pageLoading
  else if (path === '/imports') page = imports ? <imports.ImportsPage session={session} /> : pageLoading
  else if (path === '/trash')
    page = trash ? <trash.TrashPage search={search} session={session} /> : pageLoading
  else page = <LibraryPage search={search} session={session} />
  return (
    <>
      <Header session={session} onLogout={logout} path={path} />
      {page}
    </>
  )
}

/*
 * Start-up: the session and, on the library page, its first page are asked for in parallel, and the app
 * renders once both are in, so the first screen is the filled grid (no "Loading…" and "Searching…"
 * frames in between).
 */
performance.mark('medialib:app-start')
window.addEventListener(FIRST_PAGE_EVENT, prefetchPages, { once: true })
const firstPage = location.pathname === '/' ? prefetchFirstPage(location.search) : undefined
const [start] = await Promise.all([fetchSession(), firstPage])
performance.mark('medialib:start-data')
const root = document.getElementById('app')
if (!root) throw new Error('index.html has no #app element')
root.textContent = '' // the "Loading medialib…" placeholder, which Preact would leave in place
render(<App start={start} />, root)
performance.mark('medialib:rendered')
