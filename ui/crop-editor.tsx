import { useEffect, useRef, useState } from 'preact/hooks'
import { variantUrl } from './api.js'
import type { Entry, MediaType, PropertyDef } from './api-types.js'
import {
  aspectOf,
  clampPoint,
  defaultCrop,
  defaultFocal,
  HANDLES,
  nudgePoint,
  nudgeRect,
  resizeRect,
  toDisplay,
  toSource,
  type Handle,
  type Point,
  type Rect,
} from './crop-model.js'

/** The stored value of an `li-named-crops` property. */
interface NamedCrops {
  crops?: (Rect & { name: string; [other: string]: unknown })[]
  focalPoint?: Point
  [other: string]: unknown
}

/** The `li-named-crops` property of a media type: its handle and configured crop names (with ratios). */
export function namedCropsDef(mediaType: MediaType | undefined): PropertyDef | undefined {
  return mediaType?.metadata?.find((d) => d.type === 'li-named-crops')
}

/**
 * Follows one pointer drag: `onDelta(dx, dy)` gets the distance from where it started, in CSS pixels,
 * until the button is released.
 */
function startDrag(event: PointerEvent, onDelta: (dx: number, dy: number) => void): void {
  event.preventDefault()
  event.stopPropagation()
  const x0 = event.clientX
  const y0 = event.clientY
  const move = (e: PointerEvent) => onDelta(e.clientX - x0, e.clientY - y0)
  const up = () => {
    window.removeEventListener('pointermove', move)
    window.removeEventListener('pointerup', up)
  }
  window.addEventListener('pointermove', move)
  window.addEventListener('pointerup', up)
}

const aspectRatioText = (a: number | undefined) => (a ? ` (${Math.round(a * 100) / 100}:1)` : '')
const describeRect = (r: Rect) => `x ${r.x}, y ${r.y}, ${r.width} × ${r.height} px`

/**
 * The crop editor (docs/ui.md): the image with the selected named crop as a rectangle (drag to move,
 * handles to resize, arrow keys to nudge, Alt+arrows to resize, Shift for larger steps) and the focal
 * point (drag or arrow keys). Saves the whole `li-named-crops` value through `onSave(value)`, which
 * PATCHes with the entry's version. Read-only sessions see the rectangle and point, no handles.
 */
export interface CropEditorProps {
  entry: Entry
  mediaType: MediaType | undefined
  canWrite: boolean
  busy: boolean
  onSave: (handle: string, value: NamedCrops) => void
}

export function CropEditor({ entry, mediaType, canWrite, busy, onSave }: CropEditorProps) {
  const def = namedCropsDef(mediaType)
  const image = { width: entry.asset.width ?? 0, height: entry.asset.height ?? 0 }
  const stored = ((def && entry.metadata[def.handle]) || {}) as NamedCrops
  const configured = def?.config?.namedCrops ?? []
  const names = [
    ...configured.map((c) => c.name),
    ...(stored.crops ?? []).map((c) => c.name).filter((n) => !configured.some((c) => c.name === n)),
  ]
  const aspectFor = (name: string | undefined) => aspectOf(configured.find((c) => c.name === name))
  const initial = (): Record<string, Rect> =>
    Object.fromEntries(
      names.map((n) => {
        const c = stored.crops?.find((s) => s.name === n)
        return [
          n,
          c ? { x: c.x, y: c.y, width: c.width, height: c.height } : defaultCrop(image, aspectFor(n)),
        ]
      }),
    )
  const [rects, setRects] = useState(initial)
  const [focal, setFocal] = useState(() => defaultFocal(image, stored.focalPoint))
  const [selected, setSelected] = useState(names[0])
  const [scale, setScale] = useState(0)
  const imgRef = useRef<HTMLImageElement>(null)

  useEffect(() => {
    setRects(initial())
    setFocal(defaultFocal(image, stored.focalPoint))
  }, [entry.version])
  useEffect(() => {
    const measure = () => imgRef.current && setScale(imgRef.current.clientWidth / image.width)
    measure()
    window.addEventListener('resize', measure)
    return () => window.removeEventListener('resize', measure)
  }, [image.width])

  if (!def || !image.width || !image.height || names.length === 0) return null
  const rect = rects[selected ?? ''] ?? defaultCrop(image)
  const aspect = aspectFor(selected)
  const setRect = (r: Rect) => setRects((all) => ({ ...all, [selected ?? '']: r }))
  const shown = toDisplay(rect, scale)
  const dirty =
    JSON.stringify(rects) !== JSON.stringify(initial()) ||
    JSON.stringify(focal) !== JSON.stringify(defaultFocal(image, stored.focalPoint))

  const dragRect = (handle: Handle) => (event: PointerEvent) => {
    if (!canWrite) return
    const start = rect
    startDrag(event, (dx, dy) =>
      setRect(resizeRect(start, handle, toSource(dx, scale), toSource(dy, scale), image, aspect)),
    )
  }
  const dragFocal = (event: PointerEvent) => {
    if (!canWrite) return
    const start = focal
    startDrag(event, (dx, dy) =>
      setFocal(clampPoint({ x: start.x + toSource(dx, scale), y: start.y + toSource(dy, scale) }, image)),
    )
  }
  const rectKey = (e: KeyboardEvent) => {
    if (!canWrite) return
    const next = nudgeRect(rect, e.key, image, { large: e.shiftKey, resize: e.altKey })
    if (!next) return
    e.preventDefault()
    setRect(
      aspect && e.altKey
        ? resizeRect(rect, 'se', next.width - rect.width, next.height - rect.height, image, aspect)
        : next,
    )
  }
  const focalKey = (e: KeyboardEvent) => {
    if (!canWrite) return
    const next = nudgePoint(focal, e.key, image, e.shiftKey)
    if (!next) return
    e.preventDefault()
    setFocal(next)
  }
  const save = () => {
    const crops = names.map((n) => {
      const old = stored.crops?.find((s) => s.name === n)
      return { ...old, name: n, ...(rects[n] ?? defaultCrop(image)) }
    })
    onSave(def.handle, { ...stored, crops, focalPoint: focal })
  }

  return (
    <section class="crop-editor" aria-labelledby="crop-h">
      <h2 id="crop-h">Crops and focal point</h2>
      <div class="crop-tabs" role="group" aria-label="Named crop">
        {names.map((n) => (
          <button
            type="button"
            class={n === selected ? 'secondary selected' : 'secondary'}
            aria-pressed={n === selected}
            onClick={() => setSelected(n)}
          >
            {n}
            {aspectRatioText(aspectFor(n))}
          </button>
        ))}
      </div>
      <div class="crop-stage">
        <img
          ref={imgRef}
          src={variantUrl(entry, 1280, { v: entry.version })}
          alt={`Image to crop: ${entry.asset.filename ?? entry.id}`}
          width={image.width}
          height={image.height}
          draggable={false}
          onLoad={() => setScale((imgRef.current?.clientWidth ?? 0) / image.width)}
        />
        {scale > 0 && (
          <>
            <div
              class={canWrite ? 'crop-rect' : 'crop-rect read-only'}
              data-crop={selected}
              tabindex={0}
              role="group"
              aria-roledescription="crop rectangle"
              aria-label={`Crop ${selected}: ${describeRect(rect)}.${canWrite ? ' Arrow keys move it, Alt+arrows resize it, Shift for larger steps.' : ''}`}
              style={`left:${shown.x}px;top:${shown.y}px;width:${shown.width}px;height:${shown.height}px`}
              onPointerDown={dragRect('move')}
              onKeyDown={rectKey}
            >
              {canWrite &&
                HANDLES.map((h) => (
                  <span
                    class={`crop-handle crop-handle-${h}`}
                    data-handle={h}
                    aria-hidden="true"
                    onPointerDown={dragRect(h)}
                  ></span>
                ))}
            </div>
            <div
              class={canWrite ? 'focal-point' : 'focal-point read-only'}
              tabindex={0}
              role="group"
              aria-roledescription="focal point"
              aria-label={`Focal point: x ${focal.x}, y ${focal.y}.${canWrite ? ' Arrow keys move it, Shift for larger steps.' : ''}`}
              style={`left:${focal.x * scale}px;top:${focal.y * scale}px`}
              onPointerDown={dragFocal}
              onKeyDown={focalKey}
            ></div>
          </>
        )}
      </div>
      <p class="hint" aria-live="polite">
        {selected}: {describeRect(rect)}; focal point x {focal.x}, y {focal.y}
        {dirty ? ' (not saved)' : ''}
      </p>
      {canWrite && (
        <>
          <button type="button" disabled={busy || !dirty} onClick={save}>
            Save crops
          </button>
          <button
            type="button"
            class="secondary"
            disabled={busy || !dirty}
            onClick={() => {
              setRects(initial())
              setFocal(defaultFocal(image, stored.focalPoint))
            }}
          >
            Reset
          </button>
        </>
      )}
    </section>
  )
}
