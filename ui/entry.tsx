// The entry page. Over 300 lines because its form is one unit: loading, editing, saving with version
// checks and the conflict view share the same state; the parts that stand alone are in entry-*.ts(x).
import { useEffect, useRef, useState } from 'preact/hooks'
import type { TargetedEvent } from 'preact'
import { api, ApiError, messageOf, variantSrcset, variantUrl } from './api.js'
import { client, getEntry, ok, patchEntry, version } from './api-client.js'
import type { Entry, EntryFacts, MediaType, Patch, Session } from './api-types.js'
import { CropEditor, namedCropsDef } from './crop-editor.js'
import { fieldProblem, problemsSummary } from './form-model.js'
import { type Notice, ProtectionSection } from './entry-lifecycle.js'
import { UsageLogSection } from './entry-usage-log.js'
import { EntryNav } from './entry-nav.js'
import { Facts, NamedCrops, StateSection, Translations } from './entry-sections.js'
import { titleOf } from './format.js'
import { type FieldText, MetadataField, toText, toValue } from './metadata-form.js'
import { linkClick } from './router.js'
import { lastOpened } from './search-context.js'
import { type Conflict, conflictText, fieldErrors, localProblem, useUnsavedGuard } from './entry-edit.js'

const DONE: Record<string, string> = {
  save: 'Saved',
  crops: 'Crops saved',
  revokeAsset: 'Revoked',
  unrevokeAsset: 'Unrevoked',
  archive: 'Archived',
  unarchive: 'Un-archived',
}

/** One entry: preview, metadata form (generated from its media type), asset facts, state and actions. */
export function EntryPage({ id, session }: { id: string; session: Session }) {
  const [entry, setEntry] = useState<Entry | null>(null)
  const [keys, setKeys] = useState<string[] | null>(null)
  const [sha256, setSha256] = useState<string | null>(null)
  const [loadError, setLoadError] = useState('')
  const [texts, setTexts] = useState<Record<string, FieldText>>({})
  const [errors, setErrors] = useState<Record<string, string | undefined>>({})
  const [message, setMessage] = useState<Notice | null>(null)
  const [conflict, setConflict] = useState<Conflict | null>(null)
  const [busy, setBusy] = useState(false)
  const [previewFailed, setPreviewFailed] = useState(false)
  const shownId = useRef(id)
  shownId.current = id
  const canWrite = session.scopes.includes('public-api:write')
  const mediaType: MediaType | undefined = entry
    ? session.mediaTypes.find((t) => t.handle === entry.mediaType)
    : undefined
  // With the crop editor (images with li-named-crops), the crops are not also a JSON field of the form.
  const cropsDef =
    entry?.asset.width && entry.asset.mimeType?.startsWith('image/') ? namedCropsDef(mediaType) : undefined
  const defs = mediaType?.metadata?.filter((d) => !d.config?.hideFromForm && d !== cropsDef) ?? []

  const dirty =
    !!entry && defs.some((d) => (texts[d.handle] ?? '') !== (toText(d, entry.metadata[d.handle]) ?? ''))
  useUnsavedGuard(dirty && canWrite)

  const reload = async ({ keepEdits = false }: { keepEdits?: boolean } = {}): Promise<Entry | null> => {
    try {
      const fresh = await getEntry(id)
      // Stepped on meanwhile (queued steps go through entries quickly): this answer is not the page's.
      if (shownId.current !== id) return null
      setEntry(fresh)
      const type = session.mediaTypes.find((t) => t.handle === fresh.mediaType)
      if (!keepEdits) {
        setTexts(
          Object.fromEntries(
            (type?.metadata ?? []).map((d) => [d.handle, toText(d, fresh.metadata[d.handle])]),
          ),
        )
        setErrors({})
      }
      ok(
        client.GET('/api/{apiVersion}/mediaLibrary/{id}/keys', { params: { path: { ...version, id } } }),
      ).then(
        (r) => shownId.current === id && setKeys(r.results),
        () => shownId.current === id && setKeys(null),
      )
      api<EntryFacts>('GET', `/ui/entries/${encodeURIComponent(id)}/facts`).then(
        (r) => shownId.current === id && setSha256(r.sha256),
        () => shownId.current === id && setSha256(null),
      )
      return fresh
    } catch (err) {
      if (shownId.current !== id) return null
      setLoadError(
        err instanceof ApiError && err.status === 404 ? `There is no entry '${id}'.` : messageOf(err),
      )
      return null
    }
  }
  useEffect(() => {
    setEntry(null)
    setLoadError('')
    setMessage(null)
    setConflict(null)
    reload()
  }, [id])

  const patch = async (patches: Patch[], what: string) => {
    if (!entry) return
    setBusy(true)
    setMessage(null)
    try {
      await patchEntry(id, { version: entry.version, patches })
      setConflict(null)
      const fresh = await reload({ keepEdits: what !== 'save' })
      setMessage({ kind: 'ok', text: `${DONE[what] ?? 'Done'}: version ${fresh?.version}.` })
    } catch (err) {
      if (
        err instanceof ApiError &&
        err.status === 409 &&
        /^Version:/.test(String(err.body?.error_details?.message ?? ''))
      ) {
        const theirs = await getEntry(id).catch(() => null)
        setConflict({ mine: entry.version, theirs })
      } else if (err instanceof ApiError && err.status === 400) {
        const byField = fieldErrors(err.body)
        setErrors(byField)
        const n = Object.keys(byField).length
        setMessage({
          kind: 'error',
          text:
            what === 'crops'
              ? `Crops not saved: ${Object.values(byField).join('; ') || err.message}`
              : n
                ? `Not saved: ${n} ${n === 1 ? 'property is' : 'properties are'} not valid.`
                : `Not saved: ${err.message}`,
        })
      } else {
        setMessage({ kind: 'error', text: `Not saved: ${messageOf(err)}` })
      }
    } finally {
      setBusy(false)
    }
  }

  const save = (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (!entry) return
    const patches: Patch[] = []
    const localErrors: Record<string, string> = {}
    for (const def of defs) {
      try {
        const value = toValue(def, texts[def.handle] ?? '')
        const problem = fieldProblem(def, value)
        if (problem) throw new Error(problem)
        // Unedited: nothing to send, even where the text is not the stored spelling (a date-time shown in
        // local time reads back as another ISO string of the same instant).
        const unedited = (texts[def.handle] ?? '') === toText(def, entry.metadata[def.handle])
        if (!unedited && JSON.stringify(value) !== JSON.stringify(entry.metadata[def.handle])) {
          patches.push({ operation: 'setMetadataProperty', propertyName: def.handle, value: value ?? null })
        }
      } catch (err) {
        localErrors[def.handle] = messageOf(err)
      }
    }
    setErrors(localErrors)
    const n = Object.keys(localErrors).length
    if (n) {
      setMessage({ kind: 'error', text: `Not saved: ${problemsSummary(n)}; fix the marked fields.` })
      return
    }
    if (!patches.length) {
      setMessage({ kind: 'ok', text: 'Nothing changed.' })
      return
    }
    void patch(patches, 'save')
  }

  if (loadError)
    return (
      <main id="main">
        <p class="error" role="alert">
          {loadError}
        </p>
        <p>
          <a href="/" onClick={linkClick}>
            Back to the library
          </a>
        </p>
      </main>
    )
  if (!entry)
    return (
      <main id="main">
        {lastOpened() && <EntryNav id={id} />}
        <p class="loading">Loading entry…</p>
      </main>
    )
  const isImage = entry.asset.mimeType?.startsWith('image/')
  return (
    <main id="main" class="entry">
      <p>
        <a href="/" onClick={linkClick}>
          ← Library
        </a>
      </p>
      {lastOpened() && <EntryNav id={id} />}
      <h1>{titleOf(entry)}</h1>
      {conflict && (
        <div class="conflict" role="alert">
          <h2>Someone else changed this entry</h2>
          <p>{conflictText(conflict)}</p>
          {conflict.theirs && (
            <p>
              Their title: <q>{titleOf(conflict.theirs)}</q>
            </p>
          )}
          <button
            type="button"
            onClick={() => {
              setConflict(null)
              setMessage(null)
              reload()
            }}
          >
            Load the latest version (discards your edits)
          </button>
        </div>
      )}
      {message && (
        <p class={message.kind === 'ok' ? 'ok' : 'error'} role={message.kind === 'ok' ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <div class="entry-layout">
        <div class="entry-media">
          <figure class="preview">
            {isImage && !previewFailed ? (
              <img
                src={variantUrl(entry, 1280, { v: entry.version })}
                srcset={variantSrcset(entry, [640, 1280, 1920], { v: entry.version })}
                sizes="(max-width: 900px) 100vw, 60vw"
                alt={`Preview of ${titleOf(entry)}`}
                width={entry.asset.width}
                height={entry.asset.height}
                onError={() => setPreviewFailed(true)}
              />
            ) : (
              <div class="thumb placeholder big">
                <span>{isImage ? 'No preview: the original is not in storage' : entry.asset.mimeType}</span>
              </div>
            )}
            {isImage && !previewFailed && <NamedCrops entry={entry} mediaType={mediaType} />}
          </figure>
          {cropsDef && !previewFailed && (
            <CropEditor
              entry={entry}
              mediaType={mediaType}
              canWrite={canWrite}
              busy={busy}
              onSave={(propertyName, value) =>
                patch([{ operation: 'setMetadataProperty', propertyName, value }], 'crops')
              }
            />
          )}
        </div>
        <div>
          <form class="metadata" onSubmit={save} aria-labelledby="meta-h" novalidate>
            <h2 id="meta-h">
              Metadata <span class="type">{mediaType?.info?.label ?? entry.mediaType}</span>
            </h2>
            {mediaType?.info?.description && <p class="hint">{mediaType.info.description}</p>}
            {!mediaType && (
              <p class="error">The media type '{entry.mediaType}' is not configured in this project.</p>
            )}
            {defs.map((def) => (
              <MetadataField
                key={def.handle}
                def={def}
                text={texts[def.handle] ?? ''}
                error={errors[def.handle]}
                readOnly={!canWrite}
                disabled={busy}
                onChange={(v) => {
                  setTexts((t) => ({ ...t, [def.handle]: v }))
                  setErrors((e) => ({ ...e, [def.handle]: localProblem(def, v) }))
                }}
              />
            ))}
            {canWrite ? (
              <>
                <button type="submit" disabled={busy}>
                  Save
                </button>
                {dirty && <span class="hint unsaved">Unsaved changes</span>}
              </>
            ) : (
              <p class="hint">Your token is read-only: you can look, not change.</p>
            )}
          </form>
          <StateSection
            entry={entry}
            canWrite={canWrite}
            busy={busy}
            onAction={(p) => patch([p], p.operation)}
          />
          <ProtectionSection entry={entry} session={session} onChanged={() => reload({ keepEdits: true })} />
        </div>
      </div>
      <UsageLogSection entry={entry} session={session} onChanged={() => reload({ keepEdits: true })} />
      <Facts entry={entry} keys={keys} sha256={sha256} />
      <Translations entry={entry} />
    </main>
  )
}
