import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import { ARTIFACTS, type TestBrowser } from './browser.js'
import { signedInRecordingPatches } from './sign-in.js'
import { storePhoto } from './stored-photo.js'

/*
 * The entry page's metadata form (#19, docs/ui.md): the media type's config checked in the browser
 * before a save (no request leaves), the server's refusals mapped to their fields, and the guard
 * against leaving with unsaved edits.
 */
const API = '/api/2026-07'
const PROJECT = 'entryform'
const MEDIA_TYPES = [
  {
    handle: 'article',
    type: 'mediaImage',
    metadata: [
      { handle: 'title', type: 'li-text', config: { required: true, maxLength: 20 } },
      { handle: 'count', type: 'li-integer', config: { minValue: 1, maxValue: 10 } },
      { handle: 'nums', type: 'li-numeric-list' },
    ],
  },
]

describe.each(DIALECTS)('metadata form on the entry page (%s)', (dialect) => {
  let server: TestServer
  let b: TestBrowser
  let token: string
  const patches: string[] = []

  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { listen: true })
    await server.deps.projects.create(PROJECT, MEDIA_TYPES as never)
    token = await server.createToken(PROJECT, ['public-api:read', 'public-api:write'])
    const asset = await storePhoto(server, PROJECT, { width: 300, height: 200 }, [20, 160, 60])
    const res = await request(server, 'POST', `${API}/import/mediaLibrary`, {
      token,
      body: {
        mediaLibraryEntries: [{ id: 'form', mediaType: 'article', asset, metadata: { title: 'Short' } }],
      },
    })
    expect(res.status).toBe(200)
    b = await signedInRecordingPatches(server.baseUrl, token, patches)
  })
  afterAll(async () => {
    await b?.close()
    await server?.close()
  })

  it('names bad fields as they are typed and refuses to save without a request; maps the server’s errors to fields', async () => {
    await b.page.goto(`${server.baseUrl}/entries/form`)
    const title = b.page.locator('#m-title')
    await title.fill('x'.repeat(21))
    await expect
      .poll(() => b.page.locator('#m-title-error').textContent())
      .toBe("The value of '/title' must NOT have more than 20 characters")
    expect(await title.getAttribute('aria-invalid')).toBe('true')
    await b.page.locator('#m-count').fill('abc')
    await expect
      .poll(() => b.page.locator('#m-count-error').textContent())
      .toBe("The value of '/count' must be integer")
    await b.page.locator('#m-count').fill('11')
    await expect
      .poll(() => b.page.locator('#m-count-error').textContent())
      .toBe("The value of '/count' must be <= 10")
    await b.page.getByRole('button', { name: 'Save', exact: true }).click()
    await b.page.getByRole('alert').filter({ hasText: 'Not saved: 2 fields are not valid' }).waitFor()
    expect(patches).toEqual([])
    const dir = process.env.MEDIALIB_SHOTS_DIR ?? ARTIFACTS
    if (dir)
      await b.page.screenshot({ path: path.join(dir, `uientry-form-errors-${dialect}.png`), fullPage: true })

    // Fixed in the browser; the list is one only the server checks.
    await title.fill('Right length')
    await b.page.locator('#m-count').fill('7')
    expect(await b.page.locator('#m-title-error').count()).toBe(0)
    await b.page.locator('#m-nums').fill('["a"]')
    await b.page.getByRole('button', { name: 'Save', exact: true }).click()
    await b.page.getByRole('alert').filter({ hasText: 'Not saved: 1 property is not valid.' }).waitFor()
    expect(patches).toHaveLength(1)
    expect(await b.page.locator('#m-nums-error').textContent()).toMatch(/integer/)
    expect(await b.page.locator('#m-nums').getAttribute('aria-invalid')).toBe('true')
    const still = await request(server, 'GET', `${API}/mediaLibrary/form`, { token })
    expect(still.body).toMatchObject({ version: 1, metadata: { title: 'Short' } })

    await b.page.locator('#m-nums').fill('[3, 4]')
    await b.page.getByRole('button', { name: 'Save', exact: true }).click()
    await b.page.getByRole('status').filter({ hasText: 'Saved: version 2.' }).waitFor()
    const saved = await request(server, 'GET', `${API}/mediaLibrary/form`, { token })
    expect(saved.body).toMatchObject({
      version: 2,
      metadata: { title: 'Right length', count: 7, nums: [3, 4] },
    })
  })

  it('asks before leaving with unsaved edits: dismissed stays, accepted leaves; nothing asked when unchanged', async () => {
    await b.page.goto(`${server.baseUrl}/entries/form`)
    await b.page.locator('#m-title').fill('Edited, not saved')
    await b.page.getByText('Unsaved changes').waitFor()
    const asked: string[] = []
    b.page.once('dialog', (d) => {
      asked.push(d.message())
      void d.dismiss()
    })
    await b.page.getByRole('link', { name: '← Library' }).click()
    await expect.poll(() => asked).toHaveLength(1)
    expect(asked[0]).toContain('unsaved changes')
    expect(new URL(b.page.url()).pathname).toBe('/entries/form')
    expect(await b.page.locator('#m-title').inputValue()).toBe('Edited, not saved')

    b.page.once('dialog', (d) => {
      asked.push(d.message())
      void d.accept()
    })
    await b.page.getByRole('link', { name: '← Library' }).click()
    await b.page.getByRole('heading', { name: 'Library' }).waitFor()
    expect(asked).toHaveLength(2)

    // Unchanged form: the link just leaves.
    await b.page.goto(`${server.baseUrl}/entries/form`)
    await b.page.locator('#m-title').waitFor()
    await b.page.getByRole('link', { name: '← Library' }).click()
    await b.page.getByRole('heading', { name: 'Library' }).waitFor()
    expect(asked).toHaveLength(2)
  })

  it('asks before Escape takes an entry opened from the grid back with unsaved edits', async () => {
    await b.page.goto(`${server.baseUrl}/`)
    await b.page.locator('.tile a').first().click()
    await b.page.waitForURL(/\/entries\/form$/)
    await b.page.locator('#m-title').fill('Edited again')
    await b.page.getByText('Unsaved changes').waitFor()
    // Out of the field (Escape in a field is the field's), then Escape: asked, dismissed, still here.
    await b.page.locator('h1').click()
    const asked: string[] = []
    b.page.once('dialog', (d) => {
      asked.push(d.message())
      void d.dismiss()
    })
    await b.page.keyboard.press('Escape')
    await expect.poll(() => asked).toHaveLength(1)
    expect(new URL(b.page.url()).pathname).toBe('/entries/form')
    expect(await b.page.locator('#m-title').inputValue()).toBe('Edited again')
    // Accepted: back on the grid.
    b.page.once('dialog', (d) => {
      asked.push(d.message())
      void d.accept()
    })
    await b.page.keyboard.press('Escape')
    await b.page.getByRole('heading', { name: 'Library' }).waitFor()
    expect(asked).toHaveLength(2)
    expect(new URL(b.page.url()).pathname).toBe('/')
  })
})
