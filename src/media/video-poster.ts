import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/**
 * Poster frames of video entries (issue #17): one frame of the original, extracted by ffmpeg (Debian's
 * package, optional). Whether ffmpeg is there is checked once, when the server starts (`ffmpeg -version`);
 * without it a video has no thumbnail and the UI shows its typed placeholder.
 *
 * - No user input becomes an argument: the original is copied to a temporary file of a random name (a blob
 *   store may be S3, and MP4 needs a seekable input), and the demuxer is chosen from a fixed table by the
 *   entry's MIME type (no probing, so no playlist or concat file can make ffmpeg open other files or URLs);
 *   only the `file` protocol is allowed.
 * - The frame is scaled to at most `maxWidth` pixels wide and encoded as PNG on stdout, which is bounded
 *   (`maxBytes`); ffmpeg is killed after `timeoutSeconds`.
 */
export interface FrameExtractor {
  /** Whether ffmpeg answered at start (awaits the check). */
  available(): Promise<boolean>
  /** Whether a poster can be tried for this MIME type (a known container). */
  supports(mimeType: string): boolean
  /** A PNG of the first frame; throws when ffmpeg fails, times out or the output is too large. */
  extract(mimeType: string, original: Readable): Promise<Buffer>
}

/** The demuxer of each video type a poster is made for (ffmpeg `-f`): never probed from the bytes. */
const DEMUXERS: Record<string, string> = {
  'video/mp4': 'mov',
  'video/quicktime': 'mov',
  'video/x-m4v': 'mov',
  'video/3gpp': 'mov',
  'video/webm': 'matroska',
  'video/x-matroska': 'matroska',
  'video/x-msvideo': 'avi',
  'video/mpeg': 'mpeg',
  'video/ogg': 'ogg',
}

const demuxerOf = (mimeType: string) => DEMUXERS[mimeType.split(';')[0]!.trim().toLowerCase()]

interface Run {
  code: number | null
  stdout: Buffer
  stderr: string
}

/** Runs a program without a shell; kills it after `timeoutMs` or once stdout passes `maxBytes`. */
function run(file: string, args: string[], timeoutMs: number, maxBytes: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false })
    const chunks: Buffer[] = []
    let bytes = 0
    let stderr = ''
    let failure: Error | undefined
    const kill = (reason: Error) => {
      failure ??= reason
      child.kill('SIGKILL')
    }
    const timer = setTimeout(
      () => kill(new Error(`ffmpeg took longer than ${timeoutMs / 1000} s`)),
      timeoutMs,
    )
    child.stdout.on('data', (d: Buffer) => {
      bytes += d.length
      if (bytes > maxBytes) kill(new Error(`ffmpeg wrote more than ${maxBytes} bytes`))
      else chunks.push(d)
    })
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 2_000) stderr += d.toString()
    })
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      if (failure) reject(failure)
      else resolve({ code, stdout: Buffer.concat(chunks), stderr })
    })
  })
}

export function createFrameExtractor(options: {
  /** The ffmpeg binary; empty turns posters off. */
  ffmpegPath: string
  tmpDir: string
  timeoutSeconds: number
  maxWidth: number
  maxBytes?: number
}): FrameExtractor {
  const { ffmpegPath, tmpDir } = options
  const maxBytes = options.maxBytes ?? 32 * 1024 * 1024
  // Detected once, at start; a missing binary is an answer, not an error.
  const detected: Promise<boolean> =
    ffmpegPath === ''
      ? Promise.resolve(false)
      : run(ffmpegPath, ['-hide_banner', '-version'], 10_000, 1024 * 1024).then(
          (r) => r.code === 0 && r.stdout.toString().startsWith('ffmpeg version'),
          () => false,
        )
  return {
    available: () => detected,
    supports: (mimeType) => demuxerOf(mimeType) !== undefined,
    async extract(mimeType, original) {
      const demuxer = demuxerOf(mimeType)
      if (!demuxer || !(await detected)) throw new Error('No frame extractor for this type')
      await mkdir(tmpDir, { recursive: true })
      const file = path.join(tmpDir, `${randomUUID()}.video`)
      try {
        await pipeline(original, createWriteStream(file))
        // Every argument is fixed or made here; the path is ours (a random name under tmpDir).
        const result = await run(
          ffmpegPath,
          [
            '-hide_banner',
            '-nostdin',
            '-loglevel',
            'error',
            '-protocol_whitelist',
            'file',
            '-f',
            demuxer,
            '-i',
            `file:${file}`,
            '-frames:v',
            '1',
            '-vf',
            `scale=w='min(${options.maxWidth},iw)':h=-2`,
            '-f',
            'image2pipe',
            '-c:v',
            'png',
            'pipe:1',
          ],
          options.timeoutSeconds * 1000,
          maxBytes,
        )
        if (result.code !== 0 || result.stdout.length === 0)
          throw new Error(`ffmpeg found no frame: ${result.stderr.trim().split('\n').pop() ?? ''}`)
        return result.stdout
      } finally {
        await rm(file, { force: true })
      }
    },
  }
}
