import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { request, startTestServer, type TestServer } from '../helpers/server.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface JobView {
  id: string
  kind: string
  state: string
  finished: boolean
  total: number
  done: number
  items: Partial<Record<string, number>>
  webhook?: { state: string }
}

/*
 * The Imports page's job list over real HTTP. No worker runs here: the jobs stay queued until the test
 * claims and finishes items through the real job queue, so the counts are known at each step.
 */
describe.each(DIALECTS)('UI job list with progress (%s)', (dialect) => {
  let server: TestServer
  let first: string
  let second: string

  const queue = async (kind: string, count: number, extra: Record<string, unknown> = {}) => {
    const res = await request(server, 'POST', `/api/2026-07/import/${kind}`, {
      token: server.token,
      body: {
        systemName: 'ui-list',
        ...extra,
        [kind]: Array.from({ length: count }, (_, i) => ({
          id: `${kind}-${i}`,
          url: `https://example.test/${i}`,
        })),
      },
    })
    expect(res.status).toBe(200)
    return (res.body as { id: string }).id
  }
  const list = async (token: string, query = '') => request(server, 'GET', `/ui/imports${query}`, { token })

  beforeAll(async () => {
    server = await startTestServer(dialect)
    first = await queue('images', 3)
    await sleep(20) // distinct creation times: the list is newest first
    second = await queue('files', 2, { webhook: 'https://hooks.example.test/secret-path?key=abc' })
  })
  afterAll(async () => server?.close())

  it('lists the project’s jobs newest first, counting queued items, without URLs or the webhook address', async () => {
    const res = await list(server.token)
    expect(res.status).toBe(200)
    const jobs = (res.body as { jobs: JobView[] }).jobs
    expect(jobs.map((j) => j.id)).toEqual([second, first])
    expect(jobs[1]).toMatchObject({
      kind: 'images',
      state: 'started',
      finished: false,
      total: 3,
      done: 0,
      items: { queued: 3, running: 0, success: 0, skipped: 0, failed: 0 },
    })
    expect(jobs[0]!.webhook).toEqual({ state: 'waiting', attempts: 0 })
    const text = JSON.stringify(res.body)
    expect(text).not.toContain('example.test')
    expect(
      ((await list(server.token, '?limit=1')).body as { jobs: JobView[] }).jobs.map((j) => j.id),
    ).toEqual([second])
  })

  it('shows progress while a job runs', async () => {
    const now = new Date()
    const claimed = (
      await server.deps.importJobs.claim('test-worker', 10, now, new Date(now.getTime() + 60_000))
    )
      .filter((item) => item.jobId === first)
      .slice(0, 2)
    expect(claimed).toHaveLength(2)
    expect(await server.deps.importJobs.finish(claimed[0]!, 'test-worker', { state: 'success' }, now)).toBe(
      true,
    )
    expect(
      await server.deps.importJobs.finish(
        claimed[1]!,
        'test-worker',
        { state: 'failed', reason: 'HTTP 404' },
        now,
      ),
    ).toBe(true)
    const res = await request(server, 'GET', `/ui/imports/${first}`, { token: server.token })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: first, finished: false, total: 3, done: 2 })
    const { items } = res.body as JobView
    expect(items).toMatchObject({ success: 1, failed: 1 })
    expect(items.queued! + items.running!).toBe(1)
  })

  it('keeps projects apart and refuses read-only tokens and bad input in the error envelope', async () => {
    const other = await server.createToken('other-ui', ['public-api:read', 'public-api:write'])
    expect(((await list(other)).body as { jobs: JobView[] }).jobs).toEqual([])
    const foreign = await request(server, 'GET', `/ui/imports/${first}`, { token: other })
    expect(foreign.status).toBe(404)
    expect(foreign.body).toMatchObject({ status: 404, error: 'Not Found' })

    const reader = await server.createToken('default', ['public-api:read'])
    expect((await list(reader)).status).toBe(403)
    expect((await list(server.token, '?limit=0')).status).toBe(400)
    expect((await list(server.token, '?limit=abc')).body).toMatchObject({ status: 400, error: 'Bad Request' })
    expect((await request(server, 'GET', '/ui/imports')).status).toBe(401)
  })
})
