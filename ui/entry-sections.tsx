// The entry page's read-mostly sections (split from entry.tsx): the asset's facts, the translations, the
// state and its actions, and the named crops as a front end gets them.
import { useMemo, useState } from 'preact/hooks'
import { variantSrcset, variantUrl } from './api.js'
import type { Entry, MediaType, Patch } from './api-types.js'
import { namedCropsDef } from './crop-editor.js'
import { bytes, dateTime, stateOf } from './format.js'
import { RevokeNoteField } from './revoke-note.js'
import { MissingBadge, useMissing } from './source-missing.js'

export function Facts({
  entry,
  keys,
  sha256,
}: {
  entry: Entry
  keys: string[] | null
  sha256: string | null
}) {
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

export function Translations({ entry }: { entry: Entry }) {
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

export function StateSection({ entry, canWrite, onAction, busy }: StateSectionProps) {
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

/**
 * Each named crop of the entry (li-named-crops) as a front end gets it: the entry's image route with
 * `crop=<name>` (docs/images.md).
 */
export function NamedCrops({ entry, mediaType }: { entry: Entry; mediaType: MediaType | undefined }) {
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
