/**
 * Crop geometry of the entry page's crop editor (pure, no DOM). Rectangles and points are in source
 * pixels, as `li-named-crops` stores them (docs/metadata.md): `{x, y, width, height}` whole pixels inside
 * the image, and the focal point `{x, y}` inside it.
 */
export interface Size {
  width: number
  height: number
}
export interface Rect {
  x: number
  y: number
  width: number
  height: number
}
export interface Point {
  x: number
  y: number
}
/** The handles of a rectangle: its corners and edges (compass names), and `move` for its body. */
export type Handle = 'n' | 's' | 'e' | 'w' | 'ne' | 'nw' | 'se' | 'sw' | 'move'

export const HANDLES: readonly Handle[] = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w']

const clampTo = (n: number, lo: number, hi: number) => Math.min(Math.max(n, lo), hi)

/** A rect in whole pixels, at least 1×1, inside the image (moved in first, then shrunk if it must be). */
export function clampRect(r: Rect, image: Size): Rect {
  const width = clampTo(Math.round(r.width), 1, image.width)
  const height = clampTo(Math.round(r.height), 1, image.height)
  const x = clampTo(Math.round(r.x), 0, image.width - width)
  const y = clampTo(Math.round(r.y), 0, image.height - height)
  return { x, y, width, height }
}

/** A point in whole pixels inside the image. */
export function clampPoint(p: Point, image: Size): Point {
  return {
    x: clampTo(Math.round(p.x), 0, image.width - 1),
    y: clampTo(Math.round(p.y), 0, image.height - 1),
  }
}

/** The rect moved by (dx, dy), kept whole inside the image (its size never changes). */
export function moveRect(r: Rect, dx: number, dy: number, image: Size): Rect {
  return clampRect({ ...r, x: r.x + dx, y: r.y + dy }, image)
}

/**
 * The rect after dragging `handle` by (dx, dy): the opposite edges stay put; with `aspect` (width /
 * height) the rect keeps that ratio, anchored at the opposite corner or edge. The result is inside the
 * image and at least 1×1.
 */
export function resizeRect(
  r: Rect,
  handle: Handle,
  dx: number,
  dy: number,
  image: Size,
  aspect?: number,
): Rect {
  if (handle === 'move') return moveRect(r, dx, dy, image)
  let left = r.x
  let top = r.y
  let right = r.x + r.width
  let bottom = r.y + r.height
  if (handle.includes('w')) left = clampTo(left + dx, 0, right - 1)
  if (handle.includes('e')) right = clampTo(right + dx, left + 1, image.width)
  if (handle.includes('n')) top = clampTo(top + dy, 0, bottom - 1)
  if (handle.includes('s')) bottom = clampTo(bottom + dy, top + 1, image.height)
  if (!aspect) return clampRect({ x: left, y: top, width: right - left, height: bottom - top }, image)
  return fitAspect({ x: left, y: top, width: right - left, height: bottom - top }, handle, aspect, image)
}

/**
 * The largest rect of ratio `aspect` within `r`'s box for this handle, anchored at the corner or edge
 * opposite the handle, and within the image.
 */
function fitAspect(r: Rect, handle: Handle, aspect: number, image: Size): Rect {
  // The anchor: the fixed side(s) of the drag.
  const anchorX = handle.includes('w') ? r.x + r.width : handle.includes('e') ? r.x : r.x + r.width / 2
  const anchorY = handle.includes('n') ? r.y + r.height : handle.includes('s') ? r.y : r.y + r.height / 2
  // The room the image leaves from the anchor in the directions the rect grows.
  const roomW = handle.includes('w')
    ? anchorX
    : handle.includes('e')
      ? image.width - anchorX
      : 2 * Math.min(anchorX, image.width - anchorX)
  const roomH = handle.includes('n')
    ? anchorY
    : handle.includes('s')
      ? image.height - anchorY
      : 2 * Math.min(anchorY, image.height - anchorY)
  // Edge handles drive one dimension, corners the larger of the two.
  let width = handle === 'n' || handle === 's' ? r.height * aspect : r.width
  if (handle.length === 2) width = Math.max(r.width, r.height * aspect)
  width = Math.min(width, roomW, roomH * aspect)
  width = Math.max(width, 1)
  const height = width / aspect
  const x = handle.includes('w') ? anchorX - width : handle.includes('e') ? anchorX : anchorX - width / 2
  const y = handle.includes('n') ? anchorY - height : handle.includes('s') ? anchorY : anchorY - height / 2
  return clampRect({ x, y, width, height }, image)
}

/** The largest rect of this ratio centred in the image (a preset's starting point). */
export function centredAspectRect(image: Size, aspect: number): Rect {
  const width = Math.min(image.width, image.height * aspect)
  const height = width / aspect
  return clampRect({ x: (image.width - width) / 2, y: (image.height - height) / 2, width, height }, image)
}

/** Keyboard nudges: arrows move by `step` (1 px, or 10 % of the image's smaller side with Shift). */
export function nudgeStep(image: Size, large: boolean): number {
  return large ? Math.max(1, Math.round(Math.min(image.width, image.height) / 10)) : 1
}

const ARROWS: Record<string, Point> = {
  ArrowLeft: { x: -1, y: 0 },
  ArrowRight: { x: 1, y: 0 },
  ArrowUp: { x: 0, y: -1 },
  ArrowDown: { x: 0, y: 1 },
}

/** The direction of an arrow key, or undefined for any other key. */
export function arrowOf(key: string): Point | undefined {
  return ARROWS[key]
}

/**
 * An arrow key on the rect: moves it, or with `resize` (Alt) grows/shrinks its right and bottom edges.
 * Undefined for keys that are not arrows.
 */
export function nudgeRect(
  r: Rect,
  key: string,
  image: Size,
  opts: { large?: boolean; resize?: boolean } = {},
) {
  const dir = arrowOf(key)
  if (!dir) return undefined
  const step = nudgeStep(image, opts.large ?? false)
  if (opts.resize) return resizeRect(r, 'se', dir.x * step, dir.y * step, image)
  return moveRect(r, dir.x * step, dir.y * step, image)
}

/** An arrow key on the focal point; undefined for keys that are not arrows. */
export function nudgePoint(p: Point, key: string, image: Size, large = false): Point | undefined {
  const dir = arrowOf(key)
  if (!dir) return undefined
  const step = nudgeStep(image, large)
  return clampPoint({ x: p.x + dir.x * step, y: p.y + dir.y * step }, image)
}

/** Conversions between source pixels and the displayed image's CSS pixels (`scale` = shown / source). */
export function toDisplay(r: Rect, scale: number): Rect {
  return { x: r.x * scale, y: r.y * scale, width: r.width * scale, height: r.height * scale }
}
export function toSource(d: number, scale: number): number {
  return d / scale
}

/** An aspect ratio from a named crop's config (`ratio: 1.5`, or `"16:9"`), if it has one. */
export function aspectOf(config: { ratio?: unknown; aspectRatio?: unknown } | undefined): number | undefined {
  const raw = config?.ratio ?? config?.aspectRatio
  if (typeof raw === 'number' && raw > 0 && Number.isFinite(raw)) return raw
  if (typeof raw === 'string') {
    const m = /^(\d+(?:\.\d+)?)[:/x](\d+(?:\.\d+)?)$/.exec(raw.trim())
    if (m && Number(m[1]) > 0 && Number(m[2]) > 0) return Number(m[1]) / Number(m[2])
  }
  return undefined
}

/** The default crop of a name that the entry does not have yet: its aspect centred, or the whole image. */
export function defaultCrop(image: Size, aspect?: number): Rect {
  return aspect ? centredAspectRect(image, aspect) : { x: 0, y: 0, width: image.width, height: image.height }
}

/** The focal point a crop editor starts from: the stored one, else the image's centre. */
export function defaultFocal(image: Size, stored?: Point): Point {
  return clampPoint(stored ?? { x: image.width / 2, y: image.height / 2 }, image)
}
