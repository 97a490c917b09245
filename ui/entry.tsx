import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { TargetedEvent } from 'preact'
import { api, ApiError, messageOf, variantSrcset, variantUrl } from './api.js'
import { client, getEntry, ok, patchEntry, version } from './api-client.js'
import type { Entry, EntryFacts, MediaType, Patch, PropertyDef, SearchPage, Session } from './api-types.js'
import { CropEditor, namedCropsDef } from './crop-editor.js'
import { fieldProblem, problemsSummary } from './form-model.js'
import { type Notice, ProtectionSection, UsageLogSection } from './entry-lifecycle.js'
import { RevokeNoteField } from './revoke-note.js'
import { bytes, dateTime, stateOf, titleOf } from './format.js'
import { type FieldText, MetadataField, toText, toValue } from './metadata-form.js'
import { linkClick } from './router.js'
import { MissingBadge, useMissing } from './source-missing.js'
import {
  clearSteps,
  lastOpened,
  neighbours,
  nextStep,
  onStepQueued,
  pendingSteps,
  searchContext,
  setOpened,
  setSearchContext,
  takeStep,
} from './search-context.js'

const LEAVE = 'This entry has unsaved changes. Leave and discard them?'

/**
 * While `dirty`, leaving the page asks first: in-app links (a capturing listener runs before their
 * click handlers), Escape back to the grid (library.js leaves on an Escape nobody prevented) and closing or
 * reloading the tab (beforeunload).
 */
function useUnsavedGuard(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return
    const onClick = (e: MouseEvent) => {
      const a = (e.target as Element | null)?.closest?.('a[href]')
      if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
      if (!window.confirm(LEAVE)) {
        e.preventDefault()
        e.stopPropagation()
      }
    }
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return
      if ((e.target as Element | null)?.closest?.('input, textarea, select, dialog, [contenteditable]'))
        return
      if (!window.confirm(LEAVE)) e.preventDefault()
    }
    const onUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault()
      e.returnValue = LEAVE
    }
    document.addEventListener('click', onClick, true)
    document.addEventListener('keydown', onKey, true)
    window.addEventListener('beforeunload', onUnload)
    return () => {
      document.removeEventListener('click', onClick, true)
      document.removeEventListener('keydown', onKey, true)
      window.removeEventListener('beforeunload', onUnload)
    }
  }, [dirty])
}

/** A field's problem before any save: its text does not parse, or its value breaks the config. */
function localProblem(def: PropertyDef, text: FieldText): string | undefined {
  try {
    return fieldProblem(def, toValue(def, text))
  } catch (err) {
    return messageOf(err)
  }
}

/** Field errors of a refused PATCH, keyed by property, from either metadata error shape of the API. */
interface MetadataErrorItem {
  metadataProperty?: string
  translationLocale?: string
  message?: string
}

function fieldErrors(body: ApiError['body']): Record<string, string> {
  const d = (body?.error_details ?? {}) as {
    errors?: MetadataErrorItem[]
    invalidMetadata?: MetadataErrorItem[]
  }
  const items = d.errors ?? d.invalidMetadata ?? []
  const out: Record<string, string> = {}
  for (const item of items) {
    if (item.metadataProperty && !item.translationLocale) out[item.metadataProperty] ??= item.message ?? ''
  }
  return out
}

const DONE: Record<string, string> = {
  save: 'Saved',
  crops: 'Crops saved',
  revokeAsset: 'Revoked',
  unrevokeAsset: 'Unrevoked',
  archive: 'Archived',
  unarchive: 'Un-archived',
}

interface Conflict {
  mine: number
  theirs: Entry | null
}

function conflictText({ mine, theirs }: Conflict) {
  const now = theirs ? `version ${theirs.version}` : 'a newer version'
  return `You edited version ${mine}; the library now holds ${now}. Nothing was saved and nothing was overwritten: your edits are still in the form.`
}

function Facts({ entry, keys, sha256 }: { entry: Entry; keys: string[] | null; sha256: string | null }) {
  const a: Entry['asset'] & { sha256?: string } = entry.asset
  const all: [string, string | number | undefined][] = [
    ['Id', entry.id],
    ['Version', entry.version],
    ['Media type', entry.mediaType],
    ['System name', entry.systemName],
    ['External id', entry.externalId],
    ['Filename', a.filename],
    ['MIME type', a.mimeType],
    ['Size', bytes(a.size)],
    ['Dimensions', a.width && a.height ? `${a.width} × ${a.height} px` : undefined],
    ['Duration', a.duration !== undefined ? `${a.duration} s` : undefined],
    ['SHA-256', sha256 ?? a.sha256 ?? 'not recorded (only URL imports measure it)'],
    ['Storage key', a.key],
    ['URL', a.url],
    ['Created', dateTime(entry.createdAt)],
    ['Updated', dateTime(entry.updatedAt)],
  ]
  const rows = all.filter(([, v]) => v !== undefined && v !== '')
  return (
    <section aria-labelledby="facts-h">
      <h2 id="facts-h">Asset</h2>
      <dl class="facts">
        {rows.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>
              <code>{String(v)}</code>
            </dd>
          </>
        ))}
      </dl>
      {keys && (
        <>
          <h3>All storage keys</h3>
          <ul class="keys">
            {keys.map((k) => (
              <li>
                <code>{k}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}

function Translations({ entry }: { entry: Entry }) {
  if (!entry.translations?.length) return null
  return (
    <section aria-labelledby="tr-h">
      <h2 id="tr-h">Translations</h2>
      {entry.translations.map((t) => (
        <div class="translation">
          <h3 lang={t.locale}>{t.locale}</h3>
          <dl class="facts">
            {Object.entries(t.metadata ?? {}).map(([k, v]) => (
              <>
                <dt>{k}</dt>
                <dd lang={t.locale}>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
              </>
            ))}
            {t.asset && (
              <>
                <dt>Asset</dt>
                <dd>
                  <code>{t.asset.key}</code> ({t.asset.mimeType}, {bytes(t.asset.size)})
                </dd>
              </>
            )}
          </dl>
        </div>
      ))}
    </section>
  )
}

interface StateSectionProps {
  entry: Entry
  canWrite: boolean
  busy: boolean
  onAction: (patch: Patch) => void
}

function StateSection({ entry, canWrite, onAction, busy }: StateSectionProps) {
  const state = stateOf(entry)
  const entries = useMemo(() => [entry], [entry.id])
  const missing = useMissing(entries).has(entry.id)
  const [note, setNote] = useState('')
  const [confirmArchive, setConfirmArchive] = useState(false)
  return (
    <section aria-labelledby="state-h">
      <h2 id="state-h">State</h2>
      <p>
        <span class={`badge state-${state}`}>{state}</span>
        {entry.revokedAt && ` revoked ${dateTime(entry.revokedAt)}`}
        {entry.archivedAt && ` archived ${dateTime(entry.archivedAt)}`}
        {missing && <MissingBadge />}
      </p>
      {entry.revokeNote && (
        <p>
          Note: <q class="revoke-note">{entry.revokeNote}</q>
        </p>
      )}
      {canWrite && (
        <div class="actions">
          {entry.revokedAt ? (
            <button type="button" disabled={busy} onClick={() => onAction({ operation: 'unrevokeAsset' })}>
              Unrevoke
            </button>
          ) : (
            <>
              <RevokeNoteField id="revoke-note" note={note} onNote={setNote} />
              <button
                type="button"
                class="danger"
                disabled={busy}
                onClick={() =>
                  onAction(note ? { operation: 'revokeAsset', note } : { operation: 'revokeAsset' })
                }
              >
                Revoke
              </button>
            </>
          )}
          {entry.archivedAt && (
            <button type="button" disabled={busy} onClick={() => onAction({ operation: 'unarchive' })}>
              Un-archive
            </button>
          )}
          {!entry.archivedAt &&
            (confirmArchive ? (
              <>
                <button
                  type="button"
                  class="danger"
                  disabled={busy}
                  onClick={() => {
                    setConfirmArchive(false)
                    onAction({ operation: 'archive' })
                  }}
                >
                  Confirm: archive (hidden from searches until un-archived)
                </button>
                <button type="button" class="secondary" onClick={() => setConfirmArchive(false)}>
                  Cancel
                </button>
              </>
            ) : (
              <button type="button" class="secondary" onClick={() => setConfirmArchive(true)}>
                Archive…
              </button>
            ))}
        </div>
      )}
    </section>
  )
}

const entryHref = (id: string) => `/entries/${encodeURIComponent(id)}`

/**
 * Previous / next entry of the search the entry was opened from, shown as soon as the page opens (before
 * the entry itself is in). At the last loaded entry it asks for the search's next page, so stepping goes on
 * through the whole search. It takes the queued steps one link at a time: the steps are links, so the
 * unsaved-changes guard asks first (and a refusal drops the rest).
 */
function EntryNav({ id }: { id: string }) {
  const [context, setContext] = useState(searchContext)
  const here = context ? neighbours(context.ids, id) : null
  useEffect(() => {
    if (!context || !here || here.next || !context.cursor) return
    let current = true
    const { cursor } = context
    api<SearchPage>('GET', context.pageUrl(cursor)).then(
      (page) => {
        if (!current) return
        const next = {
          ...context,
          ids: [...context.ids, ...page.results.map((e) => e.id)],
          cursor: page.cursor ?? null,
        }
        setSearchContext(next)
        setContext(next)
      },
      () => {
        if (current) clearSteps()
      },
    )
    return () => {
      current = false
    }
  }, [id, context])
  useEffect(() => {
    const take = () => {
      if (!context || !here) return clearSteps()
      const what = nextStep(pendingSteps(), here, !!context.cursor)
      if (what === 'drop') clearSteps()
      if (what !== 'prev' && what !== 'next') return
      const link = document.querySelector<HTMLAnchorElement>(`.entry-nav a[rel="${what}"]`)
      if (!link) return
      takeStep()
      const click = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 })
      link.dispatchEvent(click)
      // Refused by the unsaved-changes guard: the steps after it are dropped too.
      if (!navigatedTo(link)) clearSteps()
    }
    take()
    return onStepQueued(take)
  }, [id, context])
  if (!context || !here) return null
  // A step keeps Escape's way back: the grid, with the focus on the entry stepped to.
  const step = (to: string) => (e: MouseEvent) => {
    setOpened({ search: context.search, id: to })
    linkClick(e)
  }
  const count = `${context.ids.length}${context.cursor ? '+' : ''}`
  return (
    <nav class="entry-nav" aria-label="Search results" aria-keyshortcuts="ArrowLeft ArrowRight k j /">
      {here.prev ? (
        <a href={entryHref(here.prev)} rel="prev" onClick={step(here.prev)}>
          ← Previous
        </a>
      ) : (
        <span class="hint">← Previous</span>
      )}
      <span>
        Entry {here.index + 1} of {count} in the search
      </span>
      {here.next ? (
        <a href={entryHref(here.next)} rel="next" onClick={step(here.next)}>
          Next →
        </a>
      ) : (
        <span class="hint">Next →</span>
      )}
    </nav>
  )
}

/** Whether the location is now the link's (an in-app link prevents the click's default and navigates). */
const navigatedTo = (link: HTMLAnchorElement) => location.pathname === link.getAttribute('href')

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

/**
 * Each named crop of the entry (li-named-crops) as a front end gets it: the entry's image route with
 * `crop=<name>` (docs/images.md).
 */
function NamedCrops({ entry, mediaType }: { entry: Entry; mediaType: MediaType | undefined }) {
  const handle = namedCropsDef(mediaType)?.handle
  const stored = (handle ? entry.metadata[handle] : undefined) as { crops?: { name: string }[] } | undefined
  const crops = stored?.crops ?? []
  if (crops.length === 0) return null
  return (
    <div class="named-crops" aria-label="Named crops">
      {crops.map((crop) => (
        <figure class="named-crop">
          <img
            src={variantUrl(entry, 320, { crop: crop.name, v: entry.version })}
            srcset={variantSrcset(entry, [160, 320, 640], { crop: crop.name, v: entry.version })}
            sizes="160px"
            alt={`Crop ${crop.name}`}
            loading="lazy"
            width={160}
          />
          <figcaption>{crop.name}</figcaption>
        </figure>
      ))}
    </div>
  )
}
