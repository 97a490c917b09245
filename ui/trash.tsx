import { useEffect, useState } from 'preact/hooks'
import { client, ok, patchEntry, version } from './api-client.js'
import type { Session, TrashedEntry } from './api-types.js'
import { problemText } from './entry-lifecycle.js'
import { dateTime, titleOf } from './format.js'
import { linkClick } from './router.js'

const LIMIT = 200

/**
 * The trash (issue #16): the project's deleted entries from `GET …/trash/mediaLibrary`, most recently
 * deleted first, each restorable (the PATCH operation `restore`) until its `restorableUntil`.
 */
export function TrashPage({ search, session }: { search: string; session: Session }) {
  const canWrite = session.scopes.includes('public-api:write')
  const deleted = new URLSearchParams(search).get('deleted')
  const [entries, setEntries] = useState<TrashedEntry[] | null>(null)
  const [loadError, setLoadError] = useState('')
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string; id?: string } | null>(null)
  const [busy, setBusy] = useState('')

  const load = async () => {
    try {
      const page = await ok(
        client.GET('/api/{apiVersion}/trash/mediaLibrary', {
          params: { path: version, query: { limit: LIMIT } },
        }),
      )
      setEntries(page.results)
      setLoadError('')
    } catch (err) {
      setLoadError(problemText(err))
    }
  }
  useEffect(() => {
    if (canWrite) load()
  }, [])
  useEffect(() => {
    setMessage(deleted ? { kind: 'ok', text: `Moved '${deleted}' to the trash.` } : null)
  }, [deleted])

  const restore = async (entry: TrashedEntry) => {
    setBusy(entry.id)
    setMessage(null)
    try {
      await patchEntry(entry.id, { version: entry.version, patches: [{ operation: 'restore' }] })
      setMessage({ kind: 'ok', text: `Restored '${titleOf(entry)}'.`, id: entry.id })
      await load()
    } catch (err) {
      setMessage({ kind: 'error', text: `Not restored: ${problemText(err)}` })
    } finally {
      setBusy('')
    }
  }

  const now = Date.now()
  return (
    <main id="main" class="trash">
      <h1>Trash</h1>
      <p class="hint">
        Deleted entries stay here, hidden from the library and the API, until the worker purges them with
        their files. Restore brings an entry back as it was.
      </p>
      {message && (
        <p class={message.kind === 'ok' ? 'ok' : 'error'} role={message.kind === 'ok' ? 'status' : 'alert'}>
          {message.text}
          {message.id && (
            <a href={`/entries/${encodeURIComponent(message.id)}`} onClick={linkClick}>
              Open it
            </a>
          )}
        </p>
      )}
      {!canWrite && <p class="hint">Your token is read-only: the trash needs the write scope.</p>}
      {loadError && (
        <p class="error" role="alert">
          The trash cannot be read: {loadError}
        </p>
      )}
      {canWrite && entries === null && !loadError && <p class="loading">Loading the trash…</p>}
      {entries && entries.length === 0 && <p class="empty">The trash is empty.</p>}
      {entries && entries.length > 0 && (
        <>
          <p class="count">
            {entries.length === LIMIT
              ? `The ${LIMIT} most recently deleted entries`
              : `${entries.length} deleted`}
          </p>
          <table class="list">
            <caption class="sr-only">Deleted entries</caption>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Id</th>
                <th scope="col">Media type</th>
                <th scope="col">Deleted</th>
                <th scope="col">Restorable until</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => {
                const expired = Date.parse(e.restorableUntil) <= now
                return (
                  <tr key={e.id} class={e.id === deleted ? 'just-deleted' : ''}>
                    <td>{titleOf(e)}</td>
                    <td>
                      <code>{e.id}</code>
                    </td>
                    <td>{e.mediaType}</td>
                    <td>{dateTime(e.deletedAt)}</td>
                    <td>{expired ? 'expired: waiting to be purged' : dateTime(e.restorableUntil)}</td>
                    <td>
                      <button
                        type="button"
                        disabled={busy !== '' || expired}
                        aria-label={`Restore ${titleOf(e)}`}
                        onClick={() => restore(e)}
                      >
                        Restore
                      </button>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </>
      )}
    </main>
  )
}
