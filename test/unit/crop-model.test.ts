import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  aspectOf,
  centredAspectRect,
  clampRect,
  HANDLES,
  moveRect,
  nudgePoint,
  nudgeRect,
  resizeRect,
  type Rect,
  type Size,
} from '../../ui/crop-model.js'

const image = fc.record({
  width: fc.integer({ min: 1, max: 5000 }),
  height: fc.integer({ min: 1, max: 5000 }),
})
const rectIn = (img: Size) =>
  fc
    .record({
      x: fc.integer({ min: 0, max: img.width - 1 }),
      y: fc.integer({ min: 0, max: img.height - 1 }),
    })
    .chain(({ x, y }) =>
      fc.record({
        x: fc.constant(x),
        y: fc.constant(y),
        width: fc.integer({ min: 1, max: img.width - x }),
        height: fc.integer({ min: 1, max: img.height - y }),
      }),
    )
const imageAndRect = image.chain((img) => fc.tuple(fc.constant(img), rectIn(img)))
const delta = fc.integer({ min: -6000, max: 6000 })

function inside(r: Rect, img: Size) {
  expect(Number.isInteger(r.x) && Number.isInteger(r.y)).toBe(true)
  expect(Number.isInteger(r.width) && Number.isInteger(r.height)).toBe(true)
  expect(r.width).toBeGreaterThanOrEqual(1)
  expect(r.height).toBeGreaterThanOrEqual(1)
  expect(r.x).toBeGreaterThanOrEqual(0)
  expect(r.y).toBeGreaterThanOrEqual(0)
  expect(r.x + r.width).toBeLessThanOrEqual(img.width)
  expect(r.y + r.height).toBeLessThanOrEqual(img.height)
}

describe('crop geometry', () => {
  it('clampRect puts any rect whole inside the image', () => {
    fc.assert(
      fc.property(
        image,
        fc.double({ min: -1e5, max: 1e5, noNaN: true }),
        fc.double({ min: -1e5, max: 1e5, noNaN: true }),
        fc.double({ min: -10, max: 1e5, noNaN: true }),
        fc.double({ min: -10, max: 1e5, noNaN: true }),
        (img, x, y, width, height) => {
          inside(clampRect({ x, y, width, height }, img), img)
        },
      ),
    )
  })

  it('moving keeps the size and stays inside; a move within the room is exact', () => {
    fc.assert(
      fc.property(imageAndRect, delta, delta, ([img, r], dx, dy) => {
        const m = moveRect(r, dx, dy, img)
        inside(m, img)
        expect([m.width, m.height]).toEqual([r.width, r.height])
        if (r.x + dx >= 0 && r.x + dx + r.width <= img.width) expect(m.x).toBe(r.x + dx)
        if (r.y + dy >= 0 && r.y + dy + r.height <= img.height) expect(m.y).toBe(r.y + dy)
      }),
    )
  })

  it('resizing by any handle stays inside and keeps the opposite edges', () => {
    fc.assert(
      fc.property(imageAndRect, fc.constantFrom(...HANDLES), delta, delta, ([img, r], h, dx, dy) => {
        const out = resizeRect(r, h, dx, dy, img)
        inside(out, img)
        if (!h.includes('w')) expect(out.x).toBe(r.x)
        if (!h.includes('n')) expect(out.y).toBe(r.y)
        if (!h.includes('e')) expect(out.x + out.width).toBe(r.x + r.width)
        if (!h.includes('s')) expect(out.y + out.height).toBe(r.y + r.height)
      }),
    )
  })

  it('resizing with an aspect keeps the ratio (within a pixel of rounding) and stays inside', () => {
    const big = fc.record({
      width: fc.integer({ min: 200, max: 5000 }),
      height: fc.integer({ min: 200, max: 5000 }),
    })
    fc.assert(
      fc.property(
        big.chain((img) => fc.tuple(fc.constant(img), rectIn(img))),
        fc.constantFrom(...HANDLES),
        delta,
        delta,
        fc.constantFrom(1, 16 / 9, 3, 2 / 3),
        ([img, r], h, dx, dy, aspect) => {
          const out = resizeRect(r, h, dx, dy, img, aspect)
          inside(out, img)
          // Rounding to whole pixels moves the ratio by at most one pixel on either side.
          if (out.width >= 20 && out.height >= 20) {
            expect(Math.abs(out.width - out.height * aspect)).toBeLessThanOrEqual(1 + aspect)
          }
        },
      ),
    )
  })

  it('the centred preset has the ratio and touches two opposite edges', () => {
    const r = centredAspectRect({ width: 1200, height: 800 }, 1)
    expect(r).toEqual({ x: 200, y: 0, width: 800, height: 800 })
    const wide = centredAspectRect({ width: 1200, height: 800 }, 3)
    expect(wide).toEqual({ x: 0, y: 200, width: 1200, height: 400 })
  })

  it('arrow keys nudge by 1 px, Shift by a tenth of the smaller side, Alt resizes; other keys do nothing', () => {
    const img = { width: 1200, height: 800 }
    const r = { x: 100, y: 100, width: 600, height: 600 }
    expect(nudgeRect(r, 'ArrowRight', img)).toEqual({ ...r, x: 101 })
    expect(nudgeRect(r, 'ArrowUp', img, { large: true })).toEqual({ ...r, y: 20 })
    expect(nudgeRect(r, 'ArrowDown', img, { resize: true })).toEqual({ ...r, height: 601 })
    expect(nudgeRect(r, 'Enter', img)).toBeUndefined()
    expect(nudgePoint({ x: 0, y: 5 }, 'ArrowLeft', img)).toEqual({ x: 0, y: 5 })
    expect(nudgePoint({ x: 0, y: 5 }, 'ArrowDown', img, true)).toEqual({ x: 0, y: 85 })
    fc.assert(
      fc.property(
        imageAndRect,
        fc.constantFrom('ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'),
        fc.boolean(),
        fc.boolean(),
        ([im, rr], key, large, resize) => {
          inside(nudgeRect(rr, key, im, { large, resize })!, im)
        },
      ),
    )
  })

  it('reads a ratio from a named crop config as a number or "w:h"', () => {
    expect(aspectOf({ ratio: 1.5 })).toBe(1.5)
    expect(aspectOf({ ratio: '16:9' })).toBeCloseTo(16 / 9)
    expect(aspectOf({ aspectRatio: '1/1' })).toBe(1)
    expect(aspectOf({ ratio: 'wide' })).toBeUndefined()
    expect(aspectOf({ ratio: 0 })).toBeUndefined()
    expect(aspectOf(undefined)).toBeUndefined()
  })
})
