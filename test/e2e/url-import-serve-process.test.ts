import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/dialects.js'
import { makeImage, startMediaServer, type MediaServer } from '../helpers/media-server.js'
import { startServeProcess, type ServeProcess } from '../helpers/process.js'
import { request } from '../helpers/server.js'

const ITEMS = 12

describe.each(DIALECTS)(
  'medialib serve runs URL imports in process and resumes them after a crash (%s)',
  (dialect) => {
    let db: TestDatabase
    let media: MediaServer
    const processes: ServeProcess[] = []

    beforeAll(async () => {
      db = await createTestDatabase(dialect)
      media = await startMediaServer()
      for (let i = 0; i < ITEMS; i++) {
        media.routes.set(`/${i}.png`, {
          body: await makeImage('png', 10 + i, 10),
          type: 'image/png',
          delayMs: 250,
        })
      }
    })
    afterAll(async () => {
      for (const p of processes) await p.stop('SIGKILL')
      await db?.drop()
      await media?.close()
    })

    const serve = async () => {
      const configFile = path.join(db.dataDir, 'serve.json')
      writeFileSync(
        configFile,
        JSON.stringify({ jobs: { leaseMs: 1_500, pollMs: 50, workerConcurrency: 2 } }),
      )
      const args = ['--data-dir', db.dataDir, '--config', configFile]
      if (db.config.databaseUrl) args.push('--database', db.config.databaseUrl)
      const p = await startServeProcess(args, {
        MEDIALIB_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
      })
      processes.push(p)
      return p
    }
    const status = async (p: ServeProcess, token: string, id: string) => {
      // Through the test client, which checks each answer against the server's OpenAPI document.
      const res = await request(p, 'GET', `/api/v1/import/images/status?id=${id}`, { token })
      expect(res.status).toBe(200)
      return res.body as {
        finished: boolean
        images?: { state: string; image: { mediaId: string } }[]
      }
    }

    it('finishes a job that a SIGKILLed server left half done, each item once', async () => {
      const first = await serve()
      const token = first.firstToken!
      expect(token).toBeDefined()
      const res = await request(first, 'POST', '/api/v1/import/images', {
        token,
        body: {
          systemName: 'crash',
          images: Array.from({ length: ITEMS }, (_, i) => ({ id: `c-${i}`, url: media.url(`/${i}.png`) })),
        },
      })
      expect(res.status).toBe(200)
      const { id } = res.body as { id: string }
      const started = Date.now()
      while ([...media.hits.values()].reduce((a, b) => a + b, 0) < 4 && Date.now() - started < 20_000) {
        await new Promise((r) => setTimeout(r, 20))
      }
      await first.stop('SIGKILL')
      const fetchedBefore = [...media.hits.values()].reduce((a, b) => a + b, 0)
      expect(fetchedBefore).toBeLessThan(ITEMS)

      const second = await serve()
      const deadline = Date.now() + 60_000
      let s = await status(second, token, id)
      while (!s.finished && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100))
        s = await status(second, token, id)
      }
      expect(s.finished, `${JSON.stringify(s)}\n${second.output()}`).toBe(true)
      expect(s.images!.map((i) => i.state)).toEqual(Array(ITEMS).fill('success'))
      const ids = new Set(s.images!.map((i) => i.image.mediaId))
      expect(ids.size).toBe(ITEMS)
      const list = await request(second, 'GET', '/api/v1/mediaLibrary?systemName=crash&limit=100', { token })
      const body = list.body
      const entries = (
        Array.isArray(body) ? body : ((body as { mediaLibraryEntries?: unknown[] }).mediaLibraryEntries ?? [])
      ) as {
        externalId: string
      }[]
      expect(entries.map((e) => e.externalId).sort()).toEqual(
        Array.from({ length: ITEMS }, (_, i) => `c-${i}`).sort(),
      )
    }, 120_000)
  },
)
