import { describe, expect, it } from 'vitest'
import { BadRequestError, NotFoundError } from '../../../src/errors.js'
import { rejection } from '../../helpers/rejection.js'
import { createAddressGuard } from '../../../src/jobs/address-guard.js'
import { createSafeFetcher } from '../../../src/jobs/safe-fetcher.js'
import {
  createUrlImportService,
  MAX_CONTEXT_BYTES,
  type UrlImportRequest,
} from '../../../src/jobs/url-import.service.js'
import { DEFAULT_CONFIG } from '../../../src/config.js'
import { FakeImportJobs } from '../../fakes/import-jobs.fake.js'
import { fakeOf } from '../../fakes/fake-of.js'
import type { ImportJobList } from '../../../src/db/import-job-list.js'
import type { WebhookOutboxRepository } from '../../../src/db/webhook-outbox.repository.js'

const NOW = new Date('2026-12-01T10:00:00.000Z')

function setup() {
  const jobs = new FakeImportJobs()
  let queued = 0
  // The real fetcher's URL check (pure: no request is made), with the default address guard.
  const fetcher = createSafeFetcher({ ...DEFAULT_CONFIG.fetch, guard: createAddressGuard([]) })
  const service = createUrlImportService({
    jobs: jobs.repository,
    list: fakeOf<ImportJobList>('job list', {}),
    outbox: fakeOf<WebhookOutboxRepository>('webhook outbox', {}),
    fetcher,
    onQueued: () => queued++,
    now: () => NOW,
  })
  return { jobs, service, queued: () => queued }
}

const request = (overrides: Partial<UrlImportRequest> = {}): UrlImportRequest => ({
  systemName: 'wire',
  items: [
    { id: 'one', url: 'https://cdn.example.com/1.jpg' },
    { id: 'two', url: 'https://cdn.example.com/2.jpg', fileName: 'Two', metadata: { title: 'Two' } },
    { id: 'three', url: 'https://cdn.example.com/3.jpg', mediaType: 'photo' },
  ],
  ...overrides,
})

describe('URL-import service (in-memory job repository)', () => {
  it('queues one job with its items in request order, each with its own entry id, and wakes the worker once', async () => {
    const { jobs, service, queued } = setup()
    const id = await service.queue('default', 'images', request({ webhook: 'https://hooks.example.com/x' }))
    expect(jobs.jobs.get(id)).toMatchObject({
      project: 'default',
      kind: 'images',
      systemName: 'wire',
      webhook: 'https://hooks.example.com/x',
      state: 'started',
      itemCount: 3,
      createdAt: NOW.toISOString(),
    })
    const items = jobs.itemsOf.get(id)!
    expect(items.map((i) => [i.idx, i.externalId, i.url])).toEqual([
      [0, 'one', 'https://cdn.example.com/1.jpg'],
      [1, 'two', 'https://cdn.example.com/2.jpg'],
      [2, 'three', 'https://cdn.example.com/3.jpg'],
    ])
    expect(items[1]).toMatchObject({ fileName: 'Two', metadata: { title: 'Two' } })
    expect(items[2]).toMatchObject({ mediaType: 'photo' })
    expect(items[0]).not.toHaveProperty('fileName')
    expect(new Set(items.map((i) => i.entryId)).size).toBe(3)
    expect(queued()).toBe(1)
  })

  it('refuses an item id twice in one request, naming the second place, and queues nothing', async () => {
    const { jobs, service, queued } = setup()
    const items = [...request().items, { id: 'one', url: 'https://cdn.example.com/again.jpg' }]
    const err = await rejection(service.queue('default', 'videos', request({ items })))
    expect(err).toBeInstanceOf(BadRequestError)
    expect(err.details).toEqual({ 'videos/3/id': "'one' appears twice in this request" })
    expect(jobs.jobs.size).toBe(0)
    expect(queued()).toBe(0)
  })

  it('names every problem of a request at once: context too large, webhook not fetchable', async () => {
    const { jobs, service } = setup()
    const context = { blob: 'x'.repeat(MAX_CONTEXT_BYTES) }
    const err = await rejection(
      service.queue('default', 'files', request({ context, webhook: 'ftp://hooks.example.com/x' })),
    )
    expect(Object.keys(err.details ?? {}).sort()).toEqual(['context', 'webhook'])
    expect(err.details?.context).toMatch(/^must be at most 8192 bytes as JSON \(it is \d+\)$/)
    expect(err.details?.webhook).toMatch(/only http and https/)
    expect(jobs.jobs.size).toBe(0)
  })

  it('a context of exactly the limit is accepted', async () => {
    const { service } = setup()
    // {"c":"…"} is 8 bytes of JSON around the string.
    const context = { c: 'x'.repeat(MAX_CONTEXT_BYTES - 8) }
    expect(Buffer.byteLength(JSON.stringify(context))).toBe(MAX_CONTEXT_BYTES)
    await expect(service.queue('default', 'images', request({ context }))).resolves.toEqual(
      expect.any(String),
    )
  })

  it('reads a job only in its own project and under its own kind', async () => {
    const { service } = setup()
    const id = await service.queue('alpha', 'images', request())
    for (const [project, kind] of [
      ['beta', 'images'],
      ['alpha', 'videos'],
    ] as const) {
      const err = await rejection(service.status(project, kind, id))
      expect(err).toBeInstanceOf(NotFoundError)
      expect(err.details?.message).toBe(`Import job does not exist (id: '${id}')`)
    }
    expect(await service.status('alpha', 'images', id)).toEqual({
      finished: false,
      state: 'started',
      id,
      startedAt: NOW.toISOString(),
    })
  })

  it("a finished job's status lists the items in order, with a reason only where one failed", async () => {
    const { jobs, service } = setup()
    const id = await service.queue('default', 'images', request({ webhook: 'https://hooks.example.com/x' }))
    jobs.finish(id, 'failed', [
      { state: 'success', reason: 'ignored on success', result: { image: { mediaId: 'm1' } } },
      { state: 'failed', reason: 'HTTP 404' },
      { state: 'skipped', reason: 'already imported' },
    ])
    expect(await service.status('default', 'images', id)).toEqual({
      finished: true,
      state: 'failed',
      id,
      images: [
        { state: 'success', externalId: 'one', systemName: 'wire', image: { mediaId: 'm1' } },
        { state: 'failed', reason: 'HTTP 404', externalId: 'two', systemName: 'wire' },
        { state: 'skipped', reason: 'already imported', externalId: 'three', systemName: 'wire' },
      ],
      webhook: { state: 'waiting', attempts: 0 },
    })
  })
})
