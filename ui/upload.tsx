// The library page's upload panel: drop files or choose them, pick each one's media type (its
// restrictions are shown and checked before a byte is sent), then watch, cancel or retry each upload,
// and open the new entries to fill in their metadata. The queue itself is ui/upload-queue.js.
import { useEffect, useRef, useState } from 'preact/hooks'
import type { MediaType, Session } from './api-types.js'
import { linkClick, navigate } from './router.js'
import type { QueueItem, StoredUpload } from './upload-queue.js'
import {
  addFiles,
  canResume,
  cancel,
  clearFinished,
  forget,
  queued,
  remove,
  retry,
  setMediaType,
  subscribe,
  unfinished,
  uploadReady,
} from './upload-queue.js'
import { restrictionText, size } from './upload-rules.js'

function useQueue() {
  const [, setTick] = useState(0)
  useEffect(() => subscribe(() => setTick((n) => n + 1)), [])
  return queued()
}

const entryHref = (id: string | undefined) => `/entries/${encodeURIComponent(id ?? '')}`

function Progress({ item }: { item: QueueItem }) {
  const total = item.total ?? item.size
  const percent = total ? Math.floor((item.sent / total) * 100) : 0
  return (
    <span class="upload-progress">
      <progress max="100" value={percent} aria-label={`${item.name} sent`}></progress>
      <span>
        {size(item.sent)} of {size(total)} ({percent} %)
      </span>
    </span>
  )
}

function Status({ item }: { item: QueueItem }) {
  switch (item.state) {
    case 'refused':
      return (
        <p class="error" role="alert">
          {item.problem}
        </p>
      )
    case 'ready':
      return item.previous ? (
        <p>
          Resumes at {size(item.sent)} of {size(item.size)}, as {item.mediaType}.
        </p>
      ) : (
        <p>Ready.</p>
      )
    case 'waiting':
      return <p>Waiting…</p>
    case 'uploading':
      return <Progress item={item} />
    case 'done':
      if (item.duplicate)
        return (
          <p>
            Already in the library (the same bytes), nothing new stored.{' '}
            <a href={entryHref(item.entryId)} onClick={linkClick}>
              Open that entry
            </a>
          </p>
        )
      return (
        <p class="ok">
          Uploaded.{' '}
          <a href={entryHref(item.entryId)} onClick={linkClick}>
            Fill in its metadata
          </a>
        </p>
      )
    case 'cancelled':
      return <p>Cancelled; nothing of it is kept.</p>
    default:
      return (
        <p class="error" role="alert">
          {item.error}
        </p>
      )
  }
}

function Row({ item, mediaTypes }: { item: QueueItem; mediaTypes: MediaType[] }) {
  const id = `upload-type-${item.key}`
  const choosable =
    !item.previous && !item.upload && ['ready', 'refused', 'error', 'cancelled'].includes(item.state)
  const mediaType = mediaTypes.find((t) => t.handle === item.mediaType)
  return (
    <li class={`upload-item state-${item.state}`} data-file={item.name}>
      <div class="upload-file">
        <strong>{item.name}</strong>
        <span class="tile-meta">
          {size(item.size)} · {item.mime}
        </span>
      </div>
      <div class="field">
        <label for={id}>Media type</label>
        <select
          id={id}
          value={item.mediaType}
          disabled={!choosable}
          onChange={(e) => setMediaType(item, e.currentTarget.value, mediaTypes)}
        >
          {mediaTypes.map((t) => (
            <option value={t.handle}>{t.info?.label ?? t.handle}</option>
          ))}
        </select>
        {mediaType && <span class="hint">{restrictionText(mediaType)}</span>}
      </div>
      <div class="upload-status" aria-live="polite">
        <Status item={item} />
      </div>
      <div class="upload-actions">
        {(item.state === 'uploading' || item.state === 'waiting') && (
          <button type="button" class="secondary" onClick={() => cancel(item)}>
            Cancel<span class="sr-only"> {item.name}</span>
          </button>
        )}
        {(item.state === 'error' || item.state === 'cancelled') && (
          <button type="button" class="secondary" onClick={() => retry(item)}>
            Retry<span class="sr-only"> {item.name}</span>
          </button>
        )}
        {['ready', 'refused', 'error', 'cancelled'].includes(item.state) && (
          <button type="button" class="secondary" onClick={() => remove(item)}>
            Remove<span class="sr-only"> {item.name}</span>
          </button>
        )}
      </div>
    </li>
  )
}

/** Uploads an earlier visit left unfinished: dropping the same file again resumes it. */
function Unfinished({ items }: { items: QueueItem[] }) {
  const [left, setLeft] = useState<StoredUpload[]>([])
  const [version, setVersion] = useState(0)
  const sending = items.filter((i) => i.state === 'uploading').length
  useEffect(() => {
    let current = true
    unfinished().then(
      (found) => current && setLeft(found),
      () => undefined,
    )
    return () => {
      current = false
    }
  }, [version, items.length, sending])
  if (!left.length) return null
  return (
    <div class="upload-unfinished" role="status">
      <p>Unfinished uploads from before (drop or choose the same file again to resume it):</p>
      <ul>
        {left.map((p) => (
          <li key={p.urlStorageKey}>
            <strong>{p.metadata['filename']}</strong>
            {` (${p.metadata['mediaType']}): ${size(p.offset ?? 0)} of ${size(p.length ?? 0)} sent (${Math.floor(((p.offset ?? 0) / (p.length || 1)) * 100)} %) `}
            <button
              type="button"
              class="secondary"
              onClick={() => forget(p).then(() => setVersion((v) => v + 1))}
            >
              Forget<span class="sr-only"> {p.metadata['filename']}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  )
}

/**
 * The upload panel. `onUploaded` runs whenever an upload has made an entry (the library shows it); a
 * batch of a single file lands on that entry's form.
 */
export function UploadPanel({ session, onUploaded }: { session: Session; onUploaded?: () => void }) {
  const items = useQueue()
  const [over, setOver] = useState(false)
  const mediaTypes = session.mediaTypes
  // Each new entry shows in the library as soon as its upload has finished.
  // (Uploads that had finished before the panel was mounted are in the page's first search already.)
  const doneCount = items.filter((i) => i.state === 'done').length
  const seenDone = useRef(doneCount)
  useEffect(() => {
    if (doneCount > seenDone.current) onUploaded?.()
    seenDone.current = doneCount
  }, [doneCount])
  if (!session.scopes.includes('public-api:write')) return null

  const add = (files: FileList | null | undefined) => {
    if (files?.length) void addFiles([...files], mediaTypes)
  }
  const drop = (e: DragEvent) => {
    e.preventDefault()
    setOver(false)
    add(e.dataTransfer?.files)
  }
  const dragOver = (e: DragEvent) => {
    e.preventDefault()
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'
    setOver(true)
  }
  const finished = (batch: QueueItem[]) => {
    // A duplicate stays on the page, saying so (its link opens the entry that holds the bytes).
    const done = batch.filter((i) => i.state === 'done' && i.entryId && !i.duplicate)
    if (batch.length === 1 && done.length === 1) navigate(entryHref(done[0]?.entryId))
  }
  const ready = items.filter((i) => i.state === 'ready').length
  const hasDone = items.some((i) => i.state === 'done')

  return (
    <section class="upload" aria-labelledby="upload-h">
      <h2 id="upload-h" class="sr-only">
        Upload
      </h2>
      <div
        class={`dropzone${over ? ' over' : ''}`}
        onDragEnter={dragOver}
        onDragOver={dragOver}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
      >
        <p>
          Drop files here to upload them, or{' '}
          <label class="choose" for="upload-files">
            choose files
          </label>
          <input
            id="upload-files"
            class="sr-only"
            type="file"
            multiple
            onChange={(e) => {
              add(e.currentTarget.files)
              e.currentTarget.value = ''
            }}
          />
        </p>
        <p class="hint">
          {mediaTypes.map((t) => `${t.info?.label ?? t.handle}: ${restrictionText(t)}`).join(' · ')}
          {!canResume() && ' · This browser keeps no record of uploads: a reload starts them anew.'}
        </p>
      </div>
      <Unfinished items={items} />
      {items.length > 0 && (
        <>
          <ul class="uploads" aria-label="Uploads">
            {items.map((item) => (
              <Row key={item.key} item={item} mediaTypes={mediaTypes} />
            ))}
          </ul>
          <div class="actions">
            <button type="button" disabled={!ready} onClick={() => uploadReady(finished)}>
              Upload {ready === 1 ? '1 file' : `${ready} files`}
            </button>
            {hasDone && (
              <button type="button" class="secondary" onClick={clearFinished}>
                Clear finished
              </button>
            )}
          </div>
        </>
      )}
    </section>
  )
}
