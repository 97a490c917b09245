import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'
import { expect } from 'vitest'
import { DEFAULT_CONFIG, type Config } from '../../src/config.js'
import { request, type TestServer } from './server.js'

/** Box of an ISO-BMFF (MP4) file: 32-bit size, 4-char type, payload. */
function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload)
  const head = Buffer.alloc(8)
  head.writeUInt32BE(body.length + 8, 0)
  head.write(type, 4, 'latin1')
  return Buffer.concat([head, body])
}

const IDENTITY = Buffer.from([
  0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0,
  0,
])

/**
 * A structurally valid MP4 (ftyp, moov with mvhd, one video trak with tkhd, mdhd and hdlr, and an mdat):
 * what a container parser reads for width, height and duration. No ffmpeg on the machine to encode frames.
 */
export function makeMp4(width: number, height: number, timescale: number, duration: number): Buffer {
  const ftyp = box('ftyp', Buffer.from('isom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2avc1mp41'))
  const mvhd = Buffer.alloc(100)
  mvhd.writeUInt32BE(timescale, 12)
  mvhd.writeUInt32BE(duration, 16)
  mvhd.writeUInt32BE(0x00010000, 20)
  mvhd.writeUInt16BE(0x0100, 24)
  IDENTITY.copy(mvhd, 36)
  mvhd.writeUInt32BE(2, 96)
  const tkhd = Buffer.alloc(84)
  tkhd.writeUInt32BE(0x00000003, 0)
  tkhd.writeUInt32BE(1, 12)
  tkhd.writeUInt32BE(duration, 20)
  IDENTITY.copy(tkhd, 40)
  tkhd.writeUInt32BE(width << 16, 76)
  tkhd.writeUInt32BE(height << 16, 80)
  const mdhd = Buffer.alloc(24)
  mdhd.writeUInt32BE(timescale, 12)
  mdhd.writeUInt32BE(duration, 16)
  const hdlr = Buffer.concat([
    Buffer.alloc(8),
    Buffer.from('vide'),
    Buffer.alloc(12),
    Buffer.from('VideoHandler\0'),
  ])
  const trak = box('trak', box('tkhd', tkhd), box('mdia', box('mdhd', mdhd), box('hdlr', hdlr)))
  return Buffer.concat([ftyp, box('moov', box('mvhd', mvhd), trak), box('mdat', Buffer.alloc(1024, 7))])
}

/** A one-page PDF. */
export function makePdf(text: string): Buffer {
  const stream = `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ]
  let out = '%PDF-1.4\n'
  const offsets: number[] = []
  objects.forEach((o, i) => {
    offsets.push(out.length)
    out += `${i + 1} 0 obj\n${o}\nendobj\n`
  })
  const xref = out.length
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(out, 'latin1')
}

export const SVG = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80" viewBox="0 0 120 80"><rect width="120" height="80" fill="#8CBA51"/></svg>\n',
)

/** Real images made by sharp: a plain raster of the given size and colour. */
export async function makeImage(
  format: 'png' | 'jpeg' | 'gif' | 'webp',
  width: number,
  height: number,
  rgb: [number, number, number] = [200, 40, 40],
  withExif?: { ImageDescription?: string; Artist?: string; Copyright?: string },
): Promise<Buffer> {
  let img = sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
  if (withExif) img = img.withExif({ IFD0: withExif })
  return img.toFormat(format).toBuffer()
}

export interface MediaRoute {
  body: Buffer
  type?: string
  status?: number
  /** Milliseconds before the headers are sent. */
  delayMs?: number
  /** Send half the body, then hold the connection open for this long. */
  stallAfterHalfMs?: number
  /** Lie about nothing, but omit Content-Length (chunked), so only the streamed count can catch size. */
  chunked?: boolean
}

/** A local HTTP server on 127.0.0.1 serving media and misbehaving on purpose; counts hits per path. */
export interface MediaServer {
  baseUrl: string
  routes: Map<string, MediaRoute | ((hit: number) => MediaRoute)>
  hits: Map<string, number>
  /** Every POST received (webhooks), with its headers and body; answered with `postStatus`. */
  posts: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[]
  postStatus: number[]
  url(path: string): string
  close(): Promise<void>
}

export async function startMediaServer(): Promise<MediaServer> {
  const routes = new Map<string, MediaRoute | ((hit: number) => MediaRoute)>()
  const hits = new Map<string, number>()
  const posts: MediaServer['posts'] = []
  const postStatus: number[] = []
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    if (req.method === 'POST') {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        posts.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
        res.writeHead(postStatus.shift() ?? 204)
        res.end()
      })
      return
    }
    const hit = (hits.get(path) ?? 0) + 1
    hits.set(path, hit)
    const redirect = /^\/redirect\/(\d+)\/(.*)$/.exec(path)
    if (redirect) {
      const left = Number(redirect[1])
      res.writeHead(302, { location: left > 1 ? `/redirect/${left - 1}/${redirect[2]}` : `/${redirect[2]}` })
      return res.end()
    }
    const entry = routes.get(path)
    const route = typeof entry === 'function' ? entry(hit) : entry
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' })
      return res.end('not found')
    }
    const send = () => {
      const headers: Record<string, string | number> = {
        'content-type': route.type ?? 'application/octet-stream',
      }
      if (!route.chunked) headers['content-length'] = route.body.length
      res.writeHead(route.status ?? 200, headers)
      if (route.stallAfterHalfMs !== undefined) {
        res.write(route.body.subarray(0, route.body.length >> 1))
        setTimeout(() => res.end(route.body.subarray(route.body.length >> 1)), route.stallAfterHalfMs).unref()
        return
      }
      res.end(route.body)
    }
    if (route.delayMs) setTimeout(send, route.delayMs).unref()
    else send()
  })
  server.keepAliveTimeout = 1
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const baseUrl = `http://127.0.0.1:${port}`
  return {
    baseUrl,
    routes,
    hits,
    posts,
    postStatus,
    url: (p) => `${baseUrl}${p}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Config for URL-import tests: 127.0.0.1 allowed, small limits, short timeouts and fast retries. */
export function urlImportConfig(overrides: Partial<Config['fetch']> = {}): Partial<Config> {
  return {
    publicBaseUrl: 'https://media.example.test',
    fetch: {
      ...DEFAULT_CONFIG.fetch,
      allowCidrs: ['127.0.0.1/32'],
      totalTimeoutMs: 1_000,
      maxBytes: { image: 200_000, video: 1_000_000, file: 1_000_000 },
      ...overrides,
    },
    jobs: {
      ...DEFAULT_CONFIG.jobs,
      maxRetries: 2,
      retryBaseMs: 20,
      pollMs: 20,
      leaseMs: 5_000,
      workerConcurrency: 4,
    },
  }
}

export type JobStatus = {
  finished: boolean
  state: string
  id: string
  webhook?: Record<string, unknown>
} & Record<string, unknown>

export async function waitForJob(
  server: TestServer,
  kind: string,
  id: string,
  timeoutMs = 20_000,
): Promise<JobStatus> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const res = await request(server, 'GET', `/api/v1/import/${kind}/status?id=${id}`, {
      token: server.token,
    })
    expect(res.status).toBe(200)
    const status = res.body as JobStatus
    if (status.finished) return status
    if (Date.now() > until) throw new Error(`job ${id} did not finish: ${JSON.stringify(status)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
