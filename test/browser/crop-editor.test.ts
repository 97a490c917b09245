import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import { ARTIFACTS, imagesComplete, launchBrowser, type TestBrowser } from './browser.js'
import { pageWidth, signIn } from './sign-in.js'
import { storePhoto } from './stored-photo.js'

/*
 * The entry page's crop editor (#19, docs/ui.md): real pointer drags and key presses in Chromium, saved
 * through the PATCH route into the real database, read back through the API and after a reload.
 */
const API = '/api/2026-07'
const PROJECT = 'cropedit'
const MEDIA_TYPES = [
  {
    handle: 'photo',
    type: 'mediaImage',
    info: { label: 'Photo' },
    metadata: [
      { handle: 'title', type: 'li-text', config: { index: true, required: true } },
      {
        handle: 'crops',
        type: 'li-named-crops',
        config: { namedCrops: [{ name: 'square' }, { name: 'wide', isOptional: true, ratio: '3:1' }] },
      },
    ],
  },
]
const START = { name: 'square', x: 100, y: 100, width: 600, height: 600 }
const FOCAL = { x: 400, y: 400 }

interface Crops {
  crops: { name: string; x: number; y: number; width: number; height: number }[]
  focalPoint: { x: number; y: number }
}

async function shot(b: TestBrowser, name: string) {
  const dir = process.env.MEDIALIB_SHOTS_DIR ?? ARTIFACTS
  if (dir) await b.page.screenshot({ path: path.join(dir, `uientry-${name}.png`), fullPage: true })
}

describe.each(DIALECTS)('crop editor on the entry page (%s)', (dialect) => {
  let server: TestServer
  let b: TestBrowser
  let token: string
  let readToken: string

  const stored = async (id: string) => {
    const res = await request(server, 'GET', `${API}/mediaLibrary/${id}`, { token })
    expect(res.status).toBe(200)
    const entry = res.body as { version: number; metadata: { crops: Crops } }
    return { version: entry.version, crops: entry.metadata.crops }
  }
  const openEntry = async (id: string) => {
    await b.page.goto(`${server.baseUrl}/entries/${id}`)
    await b.page.locator('.crop-rect').waitFor()
    await b.page.waitForFunction(imagesComplete)
  }
  /** CSS pixels per source pixel of the editor's image. */
  const scale = async () => (await b.page.locator('.crop-stage img').boundingBox())!.width / 1200
  /** A real drag from the point at (at, at) of the element's box (fractions; the centre by default). */
  const drag = async (selector: string, dx: number, dy: number, at = 0.5) => {
    // The editor sits below the fold at 1280 × 900: the mouse reaches only what is in the viewport.
    await b.page.locator('.crop-stage').scrollIntoViewIfNeeded()
    const box = (await b.page.locator(selector).boundingBox())!
    const x = box.x + box.width * at
    const y = box.y + box.height * at
    await b.page.mouse.move(x, y)
    await b.page.mouse.down()
    await b.page.mouse.move(x + dx / 2, y + dy / 2, { steps: 3 })
    await b.page.mouse.move(x + dx, y + dy, { steps: 3 })
    await b.page.mouse.up()
  }

  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { listen: true })
    await server.deps.projects.create(PROJECT, MEDIA_TYPES as never)
    token = await server.createToken(PROJECT, ['public-api:read', 'public-api:write'])
    readToken = await server.createToken(PROJECT, ['public-api:read'])
    const asset = await storePhoto(server, PROJECT, { width: 1200, height: 800 }, [200, 30, 30])
    const entry = (id: string) => ({
      id,
      mediaType: 'photo',
      asset,
      metadata: { title: `Photo ${id}`, crops: { crops: [START], focalPoint: FOCAL } },
    })
    const res = await request(server, 'POST', `${API}/import/mediaLibrary`, {
      token,
      body: { mediaLibraryEntries: [entry('dragged'), entry('keyed')] },
    })
    expect(res.status).toBe(200)
    b = await launchBrowser()
    await signIn(b, server.baseUrl, token)
  })
  afterAll(async () => {
    await b?.close()
    await server?.close()
  })

  it('drags, resizes and moves the focal point with the mouse; saved with the version, reloaded in place, previewed anew', async () => {
    await openEntry('dragged')
    const s = await scale()
    expect(s).toBeGreaterThan(0.2)
    // Off the centre, where the focal point sits.
    await drag('.crop-rect', 40, 20, 0.25)
    await drag('.crop-handle-se', -50, -20)
    await drag('.focal-point', 30, 30)
    const x = Math.round(100 + 40 / s)
    const y = Math.round(100 + 20 / s)
    const width = Math.round(600 - 50 / s)
    const height = Math.round(600 - 20 / s)
    const fp = { x: Math.round(400 + 30 / s), y: Math.round(400 + 30 / s) }
    await shot(b, `crop-dragged-${dialect}`)
    await b.page.getByRole('button', { name: 'Save crops' }).click()
    await b.page.getByRole('status').filter({ hasText: 'Crops saved: version 2.' }).waitFor()

    const after = await stored('dragged')
    expect(after.version).toBe(2)
    const square = after.crops.crops.find((c) => c.name === 'square')!
    // Pointer positions land on whole CSS pixels: a pixel of slack in source pixels is 1 / s.
    const slack = Math.ceil(1 / s) + 1
    for (const [got, want] of [
      [square.x, x],
      [square.y, y],
      [square.width, width],
      [square.height, height],
      [after.crops.focalPoint.x, fp.x],
      [after.crops.focalPoint.y, fp.y],
    ] as const)
      expect(Math.abs(got - want)).toBeLessThanOrEqual(slack)
    // The optional crop the entry did not have is saved at its default: its ratio (3:1), centred.
    expect(after.crops.crops.find((c) => c.name === 'wide')).toMatchObject({
      x: 0,
      y: 200,
      width: 1200,
      height: 400,
    })
    expect(await b.page.getByRole('button', { name: 'wide (3:1)' }).count()).toBe(1)

    await b.page.reload()
    await b.page.locator('.crop-rect').waitFor()
    await b.page.waitForFunction(imagesComplete)
    const label = await b.page.locator('.crop-rect').getAttribute('aria-label')
    expect(label).toContain(`x ${square.x}, y ${square.y}, ${square.width} × ${square.height} px`)
    expect(await b.page.locator('.focal-point').getAttribute('aria-label')).toContain(
      `x ${after.crops.focalPoint.x}, y ${after.crops.focalPoint.y}`,
    )
    const img = (await b.page.locator('.crop-stage img').boundingBox())!
    const rect = (await b.page.locator('.crop-rect').boundingBox())!
    const s2 = img.width / 1200
    expect(Math.abs(rect.x - img.x - square.x * s2)).toBeLessThanOrEqual(2)
    expect(Math.abs(rect.width - square.width * s2)).toBeLessThanOrEqual(2)

    // The named crop's preview is a new variant: its URL names version 2 and its shape is the new crop's.
    const preview = await b.page
      .locator('.named-crop img')
      .first()
      .evaluate((el: { currentSrc: string; naturalWidth: number; naturalHeight: number }) => ({
        src: el.currentSrc,
        ratio: el.naturalWidth / el.naturalHeight,
      }))
    expect(preview.src).toContain('crop=square')
    expect(preview.src).toContain('v=2')
    expect(preview.ratio).toBeCloseTo(square.width / square.height, 1)
    expect(square.width / square.height).not.toBeCloseTo(1, 1)
  })

  it('arrow keys nudge the rect (Shift: larger steps, Alt: resize) and the focal point; a version conflict is reported, not overwritten', async () => {
    await openEntry('keyed')
    const rect = b.page.locator('.crop-rect')
    expect(await rect.getAttribute('aria-label')).toContain('Crop square: x 100, y 100, 600 × 600 px.')
    await rect.focus()
    for (let i = 0; i < 3; i++) await b.page.keyboard.press('ArrowRight')
    await b.page.keyboard.press('Shift+ArrowDown')
    await b.page.keyboard.press('Alt+ArrowRight')
    await b.page.keyboard.press('Alt+ArrowRight')
    await expect.poll(() => rect.getAttribute('aria-label')).toContain('x 103, y 180, 602 × 600 px')
    const focal = b.page.locator('.focal-point')
    expect(await focal.getAttribute('aria-label')).toContain('Focal point: x 400, y 400.')
    await focal.focus()
    await b.page.keyboard.press('ArrowLeft')
    await b.page.keyboard.press('Shift+ArrowUp')
    await b.page.getByRole('button', { name: 'Save crops' }).click()
    await b.page.getByRole('status').filter({ hasText: 'Crops saved: version 2.' }).waitFor()
    const after = await stored('keyed')
    expect(after.crops.crops.find((c) => c.name === 'square')).toEqual({
      ...START,
      x: 103,
      y: 180,
      width: 602,
    })
    expect(after.crops.focalPoint).toEqual({ x: 399, y: 320 })

    // Someone else saves meanwhile; the page still holds version 2.
    const theirs = await request(server, 'PATCH', `${API}/mediaLibrary/keyed`, {
      token,
      body: {
        version: 2,
        patches: [{ operation: 'setMetadataProperty', propertyName: 'title', value: 'Theirs' }],
      },
    })
    expect(theirs.status).toBe(200)
    await b.page.locator('.crop-rect').focus()
    await b.page.keyboard.press('ArrowUp')
    await b.page.getByRole('button', { name: 'Save crops' }).click()
    await b.page.getByRole('alert').filter({ hasText: 'Someone else changed this entry' }).waitFor()
    const kept = await stored('keyed')
    expect(kept.version).toBe(3)
    expect(kept.crops).toEqual(after.crops)
    await shot(b, `crop-conflict-${dialect}`)
  })

  it('a read-only session sees the crop and focal point without handles, and the form read-only; 390 px wide', async () => {
    await signIn(b, server.baseUrl, readToken)
    await openEntry('dragged')
    expect(await b.page.locator('.crop-rect').isVisible()).toBe(true)
    expect(await b.page.locator('.focal-point').isVisible()).toBe(true)
    expect(await b.page.locator('.crop-handle').count()).toBe(0)
    expect(await b.page.getByRole('button', { name: 'Save crops' }).count()).toBe(0)
    // The form's values as text, not disabled controls.
    expect(await b.page.locator('#m-title').evaluate((e) => e.tagName)).toBe('P')
    expect(await b.page.locator('form.metadata').locator('input, textarea, select').count()).toBe(0)
    // A drag does nothing.
    const before = await b.page.locator('.crop-rect').getAttribute('aria-label')
    await drag('.crop-rect', 40, 20)
    expect(await b.page.locator('.crop-rect').getAttribute('aria-label')).toBe(before)
    await shot(b, `read-only-${dialect}`)

    await b.page.setViewportSize({ width: 390, height: 844 })
    await signIn(b, server.baseUrl, token)
    await openEntry('dragged')
    // Nothing is wider than the screen (no sideways scrolling), "Sign out" is on it.
    expect(await b.page.evaluate(pageWidth)).toBeLessThanOrEqual(390)
    const signOut = (await b.page.getByRole('button', { name: 'Sign out' }).boundingBox())!
    expect(signOut.x + signOut.width).toBeLessThanOrEqual(390)
    // The editor's image fits the narrow screen, and the rect still follows it.
    const img = (await b.page.locator('.crop-stage img').boundingBox())!
    expect(img.x).toBeGreaterThanOrEqual(0)
    expect(img.x + img.width).toBeLessThanOrEqual(390)
    const s = img.width / 1200
    const { crops } = await stored('dragged')
    const square = crops.crops.find((c) => c.name === 'square')!
    const rect = (await b.page.locator('.crop-rect').boundingBox())!
    expect(Math.abs(rect.width - square.width * s)).toBeLessThanOrEqual(2)
    await shot(b, `entry-390-${dialect}`)
    await b.page.setViewportSize({ width: 1280, height: 900 })
  })
})
