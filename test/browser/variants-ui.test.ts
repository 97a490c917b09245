import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage } from '../helpers/media-server.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import { imagesShown, launchBrowser, type TestBrowser } from './browser.js'

const API = '/api/2026-07'
const PROJECT = 'crops'
const MEDIA_TYPES = [
  {
    handle: 'photo',
    type: 'mediaImage',
    info: { label: 'Photo' },
    metadata: [
      { handle: 'title', type: 'li-text', config: { index: true } },
      {
        handle: 'crops',
        type: 'li-named-crops',
        config: { namedCrops: [{ name: 'square' }, { name: 'wide', isOptional: true }] },
      },
    ],
  },
]

interface Shown {
  src: string
  width: number
  height: number
}

describe.each(DIALECTS.slice(0, 1))('variants in the UI (%s)', (dialect) => {
  let server: TestServer
  let b: TestBrowser
  let token: string

  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { listen: true })
    await server.deps.projects.create(PROJECT, MEDIA_TYPES as never)
    token = await server.createToken(PROJECT, ['public-api:read', 'public-api:write'])
    const bytes = await makeImage('jpeg', 1200, 800, [30, 120, 200])
    await server.deps.blobs.files(PROJECT).put('ui/photo.jpg', Readable.from([bytes]))
    const res = await request(server, 'POST', `${API}/import/mediaLibrary`, {
      token,
      body: {
        mediaLibraryEntries: [
          {
            id: 'cropped',
            mediaType: 'photo',
            asset: {
              key: 'ui/photo.jpg',
              url: 'http://127.0.0.1/ui/photo.jpg',
              size: bytes.length,
              width: 1200,
              height: 800,
              filename: 'photo.jpg',
              mimeType: 'image/jpeg',
            },
            metadata: {
              title: 'Cropped photo',
              crops: {
                crops: [
                  { name: 'square', x: 100, y: 100, width: 600, height: 600 },
                  { name: 'wide', x: 0, y: 200, width: 1200, height: 400 },
                ],
                focalPoint: { x: 400, y: 400 },
              },
            },
          },
        ],
      },
    })
    expect(res.status).toBe(200)
    b = await launchBrowser()
  })
  afterAll(async () => {
    await b?.close()
    await server?.close()
  })

  it('shows the grid and the entry page from variants (srcset, auto=format) and each named crop', async () => {
    await b.page.goto(`${server.baseUrl}/`)
    await b.page.getByLabel('Project token').fill(token)
    await b.page.getByRole('button', { name: 'Sign in' }).click()
    await b.page.getByRole('heading', { name: 'Library' }).waitFor()
    const tile = b.page.locator('img.thumb').first()
    // The grid renders after the search answers: wait for the tile to have picked a source from
    // its srcset and loaded it (imagesComplete alone is true while no image is in the page yet,
    // which is how an earlier CI run read an empty currentSrc).
    await b.page.waitForFunction(imagesShown, ['img.thumb', 1] as [string, number])
    expect(await tile.getAttribute('srcset')).toContain('auto=format')
    const shownTile = await tile.evaluate((img: { currentSrc: string; naturalWidth: number }) => ({
      src: img.currentSrc,
      width: img.naturalWidth,
    }))
    expect(shownTile.src).toContain('/mediaLibrary/cropped/image?')
    expect(shownTile.width).toBeGreaterThan(0)

    await b.page.goto(`${server.baseUrl}/entries/cropped`)
    await b.page.waitForFunction(imagesShown, ['.named-crop img', 2] as [string, number])
    const crops: Shown[] = await b.page.locator('.named-crop img').evaluateAll((imgs) =>
      (imgs as unknown as { currentSrc: string; naturalWidth: number; naturalHeight: number }[]).map(
        (img) => ({
          src: img.currentSrc,
          width: img.naturalWidth,
          height: img.naturalHeight,
        }),
      ),
    )
    expect(crops).toHaveLength(2)
    // Each crop as the front end gets it: the square one square, the wide one 3:1.
    expect(crops[0]!.src).toContain('crop=square')
    expect(crops[0]!.width).toBe(crops[0]!.height)
    expect(crops[1]!.src).toContain('crop=wide')
    expect(crops[1]!.width / crops[1]!.height).toBeCloseTo(3, 1)
    await b.screenshot(`variants-entry-${dialect}`)
  })
})
