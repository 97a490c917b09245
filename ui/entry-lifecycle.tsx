import { useEffect, useState } from 'preact/hooks'
import { ApiError, messageOf } from './api.js'
import { client, ok, patchEntry, version } from './api-client.js'
import type { Entry, Session } from './api-types.js'
import { dateTime } from './format.js'
import { navigate } from './router.js'

/**
 * The entry's lifecycle on its page (issue #16): protection ("stored in archive"), delete to the trash,
 * and the usage log. Each section PATCHes with the entry's version and then asks the page to reload it.
 */

/** The API's words for a refused request: `error_details.message`, else each detail, else the status. */
export function problemText(err: unknown): string {
  const details = err instanceof ApiError ? err.body?.error_details : undefined
  if (details && typeof details === 'object') {
    if (typeof details.message === 'string') return details.message
    const parts = Object.entries(details)
      .filter(([k]) => k !== 'name')
      .map(([k, v]) => `${k}: ${v}`)
    if (parts.length) return parts.join('; ')
  }
  return messageOf(err)
}

/** A line saying how an action went. */
export interface Notice {
  kind: 'ok' | 'error'
  text: string
}

export function Message({ message }: { message: Notice | null }) {
  if (!message) return null
  const ok = message.kind === 'ok'
  return (
    <p class={ok ? 'ok' : 'error'} role={ok ? 'status' : 'alert'}>
      {message.text}
    </p>
  )
}

/** The entry page's sections get the entry, the session, and the page's reload (the fresh entry). */
export interface SectionProps {
  entry: Entry
  session: Session
  onChanged: () => Promise<Entry | null | undefined>
}

/** Store in archive / remove from archive, and delete (to the trash) behind a confirmation. */
export function ProtectionSection({ entry, session, onChanged }: SectionProps) {
  const canWrite = session.scopes.includes('public-api:write')
  const canDelete = session.scopes.includes('media-library:delete')
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<Notice | null>(null)
  const [confirmDelete, setConfirmDelete] = useState(false)
  useEffect(() => {
    setMessage(null)
    setConfirmDelete(false)
  }, [entry.id])

  const patch = async (operation: 'storeInArchive' | 'removeFromArchive', done: string) => {
    setBusy(true)
    setMessage(null)
    try {
      await patchEntry(entry.id, { version: entry.version, patches: [{ operation }] })
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
      await ok(
        client.DELETE('/api/{apiVersion}/mediaLibrary/{id}', {
          params: { path: { ...version, id: entry.id } },
        }),
      )
      navigate(`/trash?deleted=${encodeURIComponent(entry.id)}`)
    } catch (err) {
      setConfirmDelete(false)
      setBusy(false)
      // A 409 names its reason (usage-log entries, or stored in archive) in the API's own words.
      setMessage({
        kind: 'error',
        text:
          err instanceof ApiError && err.status === 409
            ? problemText(err)
            : `Not deleted: ${problemText(err)}`,
      })
    }
  }

  const stored = entry.storedInArchiveAt !== undefined
  return (
    <section aria-labelledby="protect-h">
      <h2 id="protect-h">Protection and deletion</h2>
      <p>
        {stored ? (
          <>
            <span class="badge state-protected">stored in archive</span>
            {` since ${dateTime(entry.storedInArchiveAt)}: protected, it cannot be deleted.`}
          </>
        ) : (
          'Not stored in archive: it can be deleted while no usage is logged.'
        )}
      </p>
      <Message message={message} />
      <div class="actions">
        {canWrite &&
          (stored ? (
            <button
              type="button"
              class="secondary"
              disabled={busy}
              onClick={() => patch('removeFromArchive', 'Removed from archive')}
            >
              Remove from archive (unprotect)
            </button>
          ) : (
            <button
              type="button"
              class="secondary"
              disabled={busy}
              onClick={() => patch('storeInArchive', 'Stored in archive')}
            >
              Store in archive (protect)
            </button>
          ))}
        {canDelete &&
          (confirmDelete ? (
            <>
              <button type="button" class="danger" disabled={busy} onClick={remove}>
                Confirm: move to the trash
              </button>
              <button type="button" class="secondary" onClick={() => setConfirmDelete(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" class="danger" disabled={busy} onClick={() => setConfirmDelete(true)}>
              Delete…
            </button>
          ))}
      </div>
      {confirmDelete && (
        <p class="hint" role="status">
          The entry goes to the trash: hidden from the library and the API, restorable from the Trash page
          until the worker purges it.
        </p>
      )}
      {!canDelete && (
        <p class="hint">
          Deleting needs a token with the scope <code>media-library:delete</code>.
        </p>
      )}
    </section>
  )
}
