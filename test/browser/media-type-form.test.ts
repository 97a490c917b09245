import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import { ARTIFACTS, type TestBrowser } from './browser.js'
import { pageWidth, signedInRecordingPatches, signIn } from './sign-in.js'
import { storePhoto } from './stored-photo.js'

/*
 * Forms that read like the media type (#19 item 6, docs/ui.md): labels and help texts from the config,
 * the natural control of each li-* plugin, values saved as the API stores them, and a read-only session
 * that sees text instead of disabled controls.
 */
const API = '/api/2026-07'
const PROJECT = 'typedform'
const MEDIA_TYPES = [
  {
    handle: 'photo',
    type: 'mediaImage',
    info: { label: 'Photo', description: 'Pictures for the news desk.' },
    metadata: [
      {
        handle: 'title',
        type: 'li-text',
        config: {
          label: 'Headline',
          description: 'What readers see first.',
          maxLength: 80,
          allowNewlines: false,
        },
      },
      { handle: 'caption', type: 'li-text', config: { label: 'Caption', allowNewlines: true } },
      { handle: 'notes', type: 'li-text', config: { label: 'Notes', maxLength: 2000 } },
      {
        handle: 'rights',
        type: 'li-enum',
        config: {
          label: 'Rights',
          dataProvider: {
            type: 'labelValuePair',
            items: [
              { label: 'Free to use', value: 'free' },
              { label: 'Licensed', value: 'licensed' },
            ],
          },
        },
      },
      { handle: 'flagged', type: 'li-boolean', config: { label: 'Flagged for review' } },
      { handle: 'shotOn', type: 'li-date', config: { label: 'Shot on' } },
      { handle: 'publishAt', type: 'li-datetime', config: { label: 'Publish at' } },
      {
        handle: 'keywords',
        type: 'li-string-list',
        config: { label: 'Keywords', maxItems: 5, dataProvider: { dataSource: 'keywords' } },
      },
      { handle: 'rating', type: 'li-integer', config: { label: 'Rating', minValue: 1, maxValue: 5 } },
    ],
  },
]
const STORED = {
  title: 'Harbour at dawn',
  caption: 'Boats\nand gulls',
  rights: 'licensed',
  flagged: true,
  keywords: ['harbour', 'boats'],
  publishAt: '2026-03-04T10:30:15Z',
  rating: 4,
}

describe.each(DIALECTS)('the entry form reads like its media type (%s)', (dialect) => {
  let server: TestServer
  let b: TestBrowser
  let token: string
  let readToken: string
  const patches: string[] = []
  const shot = async (name: string) => {
    const dir = process.env.MEDIALIB_SHOTS_DIR ?? ARTIFACTS
    if (dir) await b.page.screenshot({ path: path.join(dir, `form-${name}-${dialect}.png`), fullPage: true })
  }
  const keywords = () => b.page.locator('form.metadata').getByLabel('Keywords', { exact: true })
  const stored = async () => {
    const res = await request(server, 'GET', `${API}/mediaLibrary/typed`, { token })
    return res.body as { version: number; metadata: Record<string, unknown> }
  }

  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { listen: true })
    await server.deps.projects.create(PROJECT, MEDIA_TYPES as never)
    token = await server.createToken(PROJECT, ['public-api:read', 'public-api:write'])
    readToken = await server.createToken(PROJECT, ['public-api:read'])
    const asset = await storePhoto(server, PROJECT, { width: 300, height: 200 }, [40, 90, 160])
    const res = await request(server, 'POST', `${API}/import/mediaLibrary`, {
      token,
      body: { mediaLibraryEntries: [{ id: 'typed', mediaType: 'photo', asset, metadata: STORED }] },
    })
    expect(res.status).toBe(200)
    b = await signedInRecordingPatches(server.baseUrl, token, patches)
  })
  afterAll(async () => {
    await b?.close()
    await server?.close()
  })

  it('labels each field and explains it from the config, with the control its plugin calls for', async () => {
    await b.page.goto(`${server.baseUrl}/entries/typed`)
    const form = b.page.locator('form.metadata')
    await form.getByLabel('Headline').waitFor()
    // Labels from the config; no raw handle or plugin name.
    expect(await form.locator('label').allTextContents()).toEqual([
      'Headline',
      'Caption',
      'Notes',
      'Rights',
      'Flagged for review',
      'Shot on',
      'Publish at',
      'Keywords',
      'Rating',
    ])
    expect(await form.textContent()).not.toContain('li-')
    expect(await form.textContent()).toContain('Pictures for the news desk.')
    // The help text describes its field.
    const headline = form.getByLabel('Headline')
    const describedBy = (await headline.getAttribute('aria-describedby'))!.split(' ')
    const hint = await b.page.locator(`#${describedBy[0]}`).textContent()
    expect(hint).toBe('What readers see first. At most 80 characters.')

    const tag = (label: string) => form.getByLabel(label, { exact: true }).evaluate((e) => e.tagName)
    const type = (label: string) => form.getByLabel(label, { exact: true }).getAttribute('type')
    expect(await tag('Headline')).toBe('INPUT') // allowNewlines: false
    expect(await tag('Caption')).toBe('TEXTAREA') // allowNewlines: true
    expect(await tag('Notes')).toBe('TEXTAREA') // a long limit
    expect(await tag('Rights')).toBe('SELECT')
    expect(await form.getByLabel('Rights').inputValue()).toBe('licensed')
    expect(await type('Flagged for review')).toBe('checkbox')
    expect(await form.getByLabel('Flagged for review').isChecked()).toBe(true)
    expect(await type('Shot on')).toBe('date')
    expect(await type('Publish at')).toBe('datetime-local')
    const shownPublish = await b.page.evaluate(() => {
      const d = new Date('2026-03-04T10:30:15Z')
      const p = (n: number) => String(n).padStart(2, '0')
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
    })
    expect(await form.getByLabel('Publish at').inputValue()).toBe(shownPublish)
    expect(await form.locator('.chip span').allTextContents()).toEqual(['harbour', 'boats'])
    expect(await form.getByLabel('Rating').getAttribute('inputmode')).toBe('numeric')

    // Saving with nothing edited sends nothing, the date-time included (shown in local time).
    await b.page.getByRole('button', { name: 'Save', exact: true }).click()
    await b.page.getByRole('status').filter({ hasText: 'Nothing changed.' }).waitFor()
    expect(patches).toEqual([])
    await shot('controls')
  })

  it('saves each control as the API stores it: chips as a list, local date-times as ISO, a cleared box removed', async () => {
    await b.page.goto(`${server.baseUrl}/entries/typed`)
    const form = b.page.locator('form.metadata')
    await keywords().waitFor()
    await form.getByRole('button', { name: 'Remove boats' }).click()
    await keywords().fill('gulls')
    await keywords().press('Enter')
    await keywords().fill('dawn light')
    await keywords().press('Enter')
    expect(await form.locator('.chip span').allTextContents()).toEqual(['harbour', 'gulls', 'dawn light'])
    await form.getByLabel('Rights').selectOption('free')
    await form.getByLabel('Flagged for review').uncheck()
    await form.getByLabel('Shot on').fill('2026-02-01')
    await form.getByLabel('Publish at').fill('2026-05-06T07:08:09')
    await form.getByLabel('Notes').fill('Line one\nLine two')
    await form.getByLabel('Rating').fill('5')
    await b.page.getByText('Unsaved changes').waitFor()
    await shot('edited')
    await b.page.getByRole('button', { name: 'Save', exact: true }).click()
    await b.page.getByRole('status').filter({ hasText: 'Saved: version 2.' }).waitFor()
    const expectedPublish = await b.page.evaluate(() => new Date('2026-05-06T07:08:09').toISOString())
    const saved = await stored()
    expect(saved.version).toBe(2)
    expect(saved.metadata).toEqual({
      title: 'Harbour at dawn',
      caption: 'Boats\nand gulls',
      notes: 'Line one\nLine two',
      rights: 'free',
      keywords: ['harbour', 'gulls', 'dawn light'],
      shotOn: '2026-02-01',
      publishAt: expectedPublish,
      rating: 5,
    })
    // Reloaded, the form shows what was saved, and a sixth keyword is refused before any request.
    await b.page.reload()
    await keywords().waitFor()
    expect(await form.locator('.chip span').allTextContents()).toEqual(['harbour', 'gulls', 'dawn light'])
    for (const k of ['sea', 'sky', 'sun']) {
      await keywords().fill(k)
      await keywords().press('Enter')
    }
    await expect
      .poll(() => b.page.locator('#m-keywords-error').textContent())
      .toBe("The value of '/keywords' must NOT have more than 5 items")
    const before = patches.length
    await b.page.getByRole('button', { name: 'Save', exact: true }).click()
    await b.page.getByRole('alert').filter({ hasText: 'Not saved: 1 field is not valid' }).waitFor()
    expect(patches).toHaveLength(before)
  })

  it('shows a read-only session the values as text, not disabled controls', async () => {
    await signIn(b, server.baseUrl, readToken)
    await b.page.goto(`${server.baseUrl}/entries/typed`)
    const form = b.page.locator('form.metadata')
    await form.getByLabel('Headline').waitFor()
    expect(await form.locator('input, textarea, select, button').count()).toBe(0)
    const text = async (label: string) =>
      (await form.getByLabel(label, { exact: true }).textContent())?.trim()
    expect(await text('Headline')).toBe('Harbour at dawn')
    expect(await text('Rights')).toBe('Free to use')
    expect(await text('Flagged for review')).toBe('No')
    expect(await text('Keywords')).toBe('harbour, gulls, dawn light')
    expect(await text('Notes')).toBe('Line one\nLine two')
    expect(await text('Rating')).toBe('5')
    expect(await text('Publish at')).toMatch(/^2026-05-0\d \d\d:\d\d:09 UTC$/)
    expect(await form.getByText('What readers see first.').count()).toBe(1)
    await shot('read-only')
    await signIn(b, server.baseUrl, token)
  })

  it('fits a 360 px screen: no sideways scrolling, chips and controls inside', async () => {
    await b.page.setViewportSize({ width: 360, height: 780 })
    try {
      await b.page.goto(`${server.baseUrl}/entries/typed`)
      await keywords().waitFor()
      expect(await b.page.evaluate(pageWidth)).toBeLessThanOrEqual(360)
      for (const label of ['Headline', 'Notes', 'Publish at', 'Keywords']) {
        const box = await b.page.locator('form.metadata').getByLabel(label, { exact: true }).boundingBox()
        expect(box!.x).toBeGreaterThanOrEqual(0)
        expect(box!.x + box!.width).toBeLessThanOrEqual(360)
      }
      await keywords().scrollIntoViewIfNeeded()
      await shot('360px')
    } finally {
      await b.page.setViewportSize({ width: 1280, height: 900 })
    }
  })
})
