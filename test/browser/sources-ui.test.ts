import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { makeImage } from '../helpers/media-server.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { axeCheck } from './axe.js'
import { launchBrowser, type TestBrowser } from './browser.js'
import { signIn } from './sign-in.js'

/*
 * Issue #22 in the UI: the Imports page lists the project's sources and their scans (state, counts,
 * started, ended), follows a scan started elsewhere as it runs, starts one with _Scan now_ (write scope); entries whose file vanished carry a
 * "missing from source" badge in the grid, the list and the entry page; the library filters on them
 * (`sourceState=missing`). Real scans of a real folder, a real server, Chromium; axe-core on each new view.
 */
describe.each(DIALECTS)('sources in the UI, in Chromium (%s)', (dialect) => {
  let server: TestServer
  let b: TestBrowser
  let dir: string
  let readOnly: string
  const FILES = ['a.png', 'b.png', 'c.png', 'd.png']

  const scanRows = () => b.page.locator('article.source table.scans tbody tr')
  /** A scan's row as the table shows it: state, then the five counts. */
  const rowText = async (n: number) =>
    (await scanRows().nth(n).locator('td').allTextContents()).slice(1, 7).map((t) => t.trim())
  const noSerious = async () => {
    const axe = await axeCheck(b.page)
    expect(axe.serious).toEqual([])
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'medialib-sources-ui-'))
    for (const [i, name] of FILES.entries()) {
      writeFileSync(path.join(dir, name), await makeImage('png', 40 + i, 30, [40 * i, 120, 200]))
    }
    server = await startTestServer(dialect, {}, { listen: true })
    readOnly = await server.createToken('default', ['public-api:read'])
    const { sources } = server.deps
    await sources.add('default', 'photos', { kind: 'disk', dir })
    expect((await sources.scan('default', 'photos')).counts.created).toBe(4)
    unlinkSync(path.join(dir, 'c.png'))
    expect((await sources.scan('default', 'photos')).counts.missing).toBe(1)
    b = await launchBrowser({ bypassCSP: true })
    await signIn(b, server.baseUrl, server.token)
  })
  afterAll(async () => {
    await b?.close()
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('lists the sources and their scans on the Imports page, and follows a scan as it runs', async () => {
    await b.page.goto(`${server.baseUrl}/imports`)
    const source = b.page.getByRole('article', { name: 'photos' })
    await source.waitFor()
    expect(await source.textContent()).toContain('Folder on disk')
    await expect.poll(() => scanRows().count()).toBe(2)
    // Newest first: the rescan (3 unchanged, 1 missing), then the first scan (4 created).
    expect(await rowText(0)).toEqual(['done', '0', '0', '3', '1', '0'])
    expect(await rowText(1)).toEqual(['done', '4', '0', '0', '0', '0'])
    await expect.poll(() => source.getByRole('link').textContent()).toBe('1 entry missing from this source')
    await noSerious()
    await b.screenshot(`sources-imports-${dialect}`)

    // A scan started elsewhere (the CLI, another editor) shows up and counts on without a reload.
    writeFileSync(path.join(dir, 'e.png'), await makeImage('png', 12, 12))
    const started = await server.deps.sources.startScan('default', 'photos')
    await expect.poll(() => scanRows().count(), { timeout: 15_000 }).toBe(3)
    await server.deps.sources.runScan(started)
    await expect.poll(() => rowText(0), { timeout: 15_000 }).toEqual(['done', '1', '0', '3', '0', '0'])

    // _Scan now_ queues one through the API (POST …/scans); no worker runs in this test server, so it shows
    // as running (the button disabled) until the test runs its tasks, then done.
    await source.getByRole('button', { name: 'Scan now' }).click()
    await expect.poll(() => source.getByRole('status').textContent()).toMatch(/^Scan queued \(/)
    await expect.poll(() => scanRows().count()).toBe(4)
    expect((await rowText(0))[0]).toMatch(/^running/)
    expect(await source.getByRole('button', { name: 'Scan now' }).isDisabled()).toBe(true)
    await noSerious()
    const [queued] = await server.deps.sources.scans('default', 'photos', 1)
    expect(queued?.state).toBe('running')
    await server.deps.sources.runScan(queued!)
    await expect.poll(() => rowText(0), { timeout: 15_000 }).toEqual(['done', '0', '0', '4', '0', '0'])
    expect(await source.getByRole('button', { name: 'Scan now' }).isDisabled()).toBe(false)
  })

  it('badges the entries whose file vanished, and filters on them', async () => {
    await b.page.goto(`${server.baseUrl}/imports`)
    const link = b.page.getByRole('link', { name: '1 entry missing from this source' })
    await link.click()
    await b.page.waitForURL(/sourceState=missing/)
    await expect.poll(() => b.page.locator('.tile').count()).toBe(1)
    const tile = b.page.locator('.tile').first()
    expect(await tile.locator('.tile-meta').textContent()).toContain('photos')
    expect(await tile.locator('.badge.source-missing').textContent()).toBe('missing from source')
    expect(await b.page.locator('#f-source').inputValue()).toBe('missing')
    await noSerious()
    await b.screenshot(`sources-missing-filter-${dialect}`)

    // The whole library: five tiles, the badge on the missing one only (asked after the grid shows).
    await b.page.goto(`${server.baseUrl}/`)
    await expect.poll(() => b.page.locator('.tile').count()).toBe(5)
    await expect.poll(() => b.page.locator('.tile .badge.source-missing').count()).toBe(1)
    expect(await b.page.locator('.tile:has(.badge.source-missing) .tile-title').textContent()).toBe('c.png')
    // The filter from the form, then the list view.
    await b.page.locator('#f-source').selectOption('missing')
    await b.page.waitForURL(/sourceState=missing/)
    await expect.poll(() => b.page.locator('.tile').count()).toBe(1)
    await b.page.locator('#f-view').selectOption('list')
    await expect.poll(() => b.page.locator('table.list tbody .badge.source-missing').count()).toBe(1)

    // The entry page says so too.
    await b.page.locator('table.list tbody a').first().click()
    await b.page.getByRole('heading', { level: 1, name: 'c.png' }).waitFor()
    const state = b.page.locator('section[aria-labelledby="state-h"]')
    await expect.poll(() => state.locator('.badge.source-missing').count()).toBe(1)
    await noSerious()
  })

  it('shows the sources to a read-only session', async () => {
    await signIn(b, server.baseUrl, readOnly)
    await b.page.goto(`${server.baseUrl}/imports`)
    await b.page.getByRole('article', { name: 'photos' }).waitFor()
    await expect.poll(() => scanRows().count()).toBe(4)
    // Starting a scan needs the write scope: no button.
    expect(await b.page.getByRole('button', { name: 'Scan now' }).count()).toBe(0)
    await noSerious()
  })
})
