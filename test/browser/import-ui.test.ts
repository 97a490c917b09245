import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import type { Worker } from '../../src/jobs/worker.js'
import { DIALECTS } from '../helpers/dialects.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'
import { imagesComplete, launchBrowser, type TestBrowser } from './browser.js'

/** A local origin for the URL import: one real PNG, one slow JPEG, and 404 for anything else. */
async function startOrigin(): Promise<{ server: Server; base: string; png: Buffer }> {
  const png = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#2a9d8f' } })
    .png()
    .toBuffer()
  const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#e76f51' } })
    .jpeg()
    .toBuffer()
  const server = createServer((req, res) => {
    if (req.url === '/teal.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png)
    } else if (req.url === '/hook' && req.method === 'POST') {
      req.resume()
      req.on('end', () => res.writeHead(204).end())
    } else if (req.url === '/slow.jpg') {
      // Slow enough that the UI shows the job running, with the other two items done, before it finishes.
      setTimeout(() => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg), 3000)
    } else {
      res.writeHead(404).end('not here')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, png }
}

describe.each(DIALECTS)('watching a URL import in the UI (%s)', (dialect) => {
  let server: TestServer
  let origin: { server: Server; base: string; png: Buffer }
  let b: TestBrowser
  let worker: Worker

  beforeAll(async () => {
    origin = await startOrigin()
    server = await startTestServer(
      dialect,
      {
        fetch: { ...DEFAULT_CONFIG.fetch, allowCidrs: ['127.0.0.1/32'] },
        jobs: { ...DEFAULT_CONFIG.jobs, pollMs: 50, maxRetries: 0 },
      },
      { listen: true },
    )
    worker = server.deps.createWorker()
    worker.start()
    b = await launchBrowser()
  })
  afterAll(async () => {
    await b?.close()
    await worker?.stop()
    await server?.close()
    await new Promise((resolve) => origin?.server.close(resolve))
  })

  it('starts an import, shows its progress and per-item reasons, and links the imported entry', async () => {
    const login = await b.page.request.post(`${server.baseUrl}/ui/login`, {
      data: { token: server.token },
      headers: { 'x-medialib-ui': '1' },
    })
    expect(login.status()).toBe(200)
    await b.page.goto(`${server.baseUrl}/imports`)
    await b.page.getByLabel('System name').fill('ui-import')
    await b.page
      .getByLabel(/^URLs/)
      .fill(
        [
          `${origin.base}/teal.png teal-1`,
          `${origin.base}/slow.jpg slow-1`,
          `${origin.base}/gone.png gone-1`,
        ].join('\n'),
      )
    await b.page.getByLabel(/^Webhook URL/).fill(`${origin.base}/hook`)
    await b.page.getByRole('button', { name: 'Start import' }).click()
    const job = b.page.locator('article.job')
    await job.waitFor()
    // Live progress: the fast items are counted while the slow one is still being fetched.
    await expect
      .poll(async () => (await job.textContent()) ?? '', { timeout: 30_000 })
      .toMatch(/\(running…\)[\s\S]*Progress 2 of 3/)
    expect(await job.locator('progress').getAttribute('value')).toBe('2')
    await b.screenshot(`ui-11-import-started-${dialect}`)
    await expect
      .poll(async () => (await job.textContent()) ?? '', { timeout: 30_000 })
      .toContain('(finished)')
    const rows = await job
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) =>
          Array.from(
            (tr as unknown as { cells: ArrayLike<{ textContent: string }> }).cells,
            (c) => c.textContent,
          ),
        ),
      )
    const byId = Object.fromEntries(rows.map((r) => [r[0], r]))
    expect(byId['teal-1']?.[1]).toBe('success')
    expect(byId['slow-1']?.[1]).toBe('success')
    expect(byId['gone-1']?.[1]).toBe('failed')
    expect(byId['gone-1']?.[2]).toMatch(/404/)
    expect(await job.locator('progress').getAttribute('value')).toBe('3')
    await expect
      .poll(() => job.locator('.webhook-state').textContent(), { timeout: 30_000 })
      .toBe('delivered')
    await b.screenshot(`ui-12-import-finished-${dialect}`)

    // A job queued through the API (a script, the CLI, another editor) shows up in the list by itself.
    const queued = await request(server, 'POST', '/api/2026-07/import/images', {
      token: server.token,
      body: { systemName: 'api-side', images: [{ id: 'api-1', url: `${origin.base}/teal.png` }] },
    })
    expect(queued.status).toBe(200)
    const other = b.page.locator('article.job', { hasText: (queued.body as { id: string }).id })
    await expect
      .poll(async () => (await other.count()) && ((await other.textContent()) ?? ''), { timeout: 30_000 })
      .toMatch(/api-side[\s\S]*Progress 1 of 1/)

    // The imported entry opens with a thumbnail made from the stored original.
    await job.getByRole('link', { name: byId['teal-1']![3]! }).click()
    await b.page.waitForURL(/\/entries\//)
    await b.page.locator('.preview img').waitFor()
    await b.page.waitForFunction(imagesComplete)
    const id = decodeURIComponent(b.page.url().split('/entries/')[1]!)
    const sha = createHash('sha256').update(origin.png).digest('hex')
    await expect.poll(() => b.page.locator('.facts').first().textContent()).toContain(sha)
    const stored = await request(server, 'GET', `/api/2026-07/mediaLibrary/${id}`, { token: server.token })
    expect(stored.body).toMatchObject({
      systemName: 'ui-import',
      externalId: 'teal-1',
      asset: { width: 900 },
    })
    // A fresh connection (a kept-alive one from the login may have been closed by the server meanwhile).
    const thumb = await fetch(`${server.baseUrl}/api/2026-07/mediaLibrary/${id}/thumbnail?w=320`, {
      headers: { accept: 'image/webp', authorization: `Bearer ${server.token}` },
    })
    expect(thumb.status).toBe(200)
    expect(thumb.headers.get('content-type')).toBe('image/webp')
    expect((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).width).toBe(320)
    await b.screenshot(`ui-13-imported-entry-${dialect}`)
  })

  it("shows a listed job's items on Show by id, and says so for an id that is no job here", async () => {
    const queued = await request(server, 'POST', '/api/2026-07/import/images', {
      token: server.token,
      body: { systemName: 'by-id', images: [{ id: 'by-id-1', url: `${origin.base}/teal.png` }] },
    })
    const jobId = (queued.body as { id: string }).id
    await expect
      .poll(
        async () =>
          (
            await request(server, 'GET', `/ui/imports/${jobId}`, {
              headers: { cookie: `medialib_session=${server.token}` },
            })
          ).body,
        { timeout: 30_000 },
      )
      .toMatchObject({ finished: true })
    await b.page.goto(`${server.baseUrl}/imports`)
    const job = b.page.locator('article.job', { hasText: jobId })
    await job.getByRole('button', { name: "Show each item's result" }).waitFor()
    expect(await job.locator('tbody tr').count()).toBe(0)
    await b.page.getByLabel('Show an older job by id').fill(jobId)
    await b.page.getByRole('button', { name: 'Show', exact: true }).click()
    await expect.poll(() => job.locator('tbody tr').count(), { timeout: 10_000 }).toBe(1)
    expect(await job.locator('tbody tr td').first().textContent()).toBe('by-id-1')

    await b.page.getByLabel('Show an older job by id').fill('no-such-job')
    await b.page.getByRole('button', { name: 'Show', exact: true }).click()
    await expect
      .poll(() => b.page.getByRole('alert').allTextContents(), { timeout: 10_000 })
      .toContain("No import job 'no-such-job' in this project.")
  })

  it('refuses a line that is not a URL, naming it, and starts nothing', async () => {
    const jobs = () =>
      request(server, 'GET', '/ui/imports', { headers: { cookie: `medialib_session=${server.token}` } })
    const before = await jobs()
    expect(before.status).toBe(200)
    await b.page.goto(`${server.baseUrl}/imports`)
    await b.page.getByLabel('System name').fill('typo')
    await b.page.getByLabel(/^URLs/).fill(`${origin.base}/teal.png teal-typo\nnot a url`)
    await b.page.getByRole('button', { name: 'Start import' }).click()
    await expect
      .poll(() => b.page.getByRole('alert').allTextContents(), { timeout: 10_000 })
      .toContain(
        'Line 2 is not "URL" or "URL id": not a url (one http(s) URL per line, optionally an id after a space)',
      )
    expect((await jobs()).body).toEqual(before.body)
  })
})
