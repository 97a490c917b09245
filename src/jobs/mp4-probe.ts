import { open, type FileHandle } from 'node:fs/promises'

/** What the container says about a video. */
export interface VideoInfo {
  width: number
  height: number
  /** Seconds. */
  duration: number
}

const MAX_MOOV_BYTES = 64 * 1024 * 1024

interface Box {
  type: string
  start: number
  headerSize: number
  size: number
}

/** Where the boxes are read from: a file, or bytes in memory. */
interface ByteSource {
  size: number
  /** Reads `length` bytes at `position` into the start of `into`; how many there were. */
  read(into: Buffer, length: number, position: number): Promise<number>
}

async function readBoxHeader(file: ByteSource, at: number, end: number): Promise<Box | undefined> {
  if (at + 8 > end) return undefined
  const head = Buffer.alloc(16)
  const bytesRead = await file.read(head, 16, at)
  if (bytesRead < 8) return undefined
  let size = head.readUInt32BE(0)
  const type = head.toString('latin1', 4, 8)
  let headerSize = 8
  if (size === 1) {
    if (bytesRead < 16) return undefined
    size = Number(head.readBigUInt64BE(8))
    headerSize = 16
  } else if (size === 0) {
    size = end - at
  }
  if (size < headerSize) return undefined
  return { type, start: at, headerSize, size }
}

function childBoxes(buf: Buffer, from: number, to: number): Box[] {
  const boxes: Box[] = []
  let at = from
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at)
    let headerSize = 8
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(at + 8))
      headerSize = 16
    } else if (size === 0) size = to - at
    if (size < headerSize || at + size > to) break
    boxes.push({ type: buf.toString('latin1', at + 4, at + 8), start: at, headerSize, size })
    at += size
  }
  return boxes
}

/** Duration and timescale from an mvhd or mdhd payload (versions 0 and 1). */
function timing(buf: Buffer, payload: number): { timescale: number; duration: number } {
  const version = buf.readUInt8(payload)
  return version === 1
    ? { timescale: buf.readUInt32BE(payload + 20), duration: Number(buf.readBigUInt64BE(payload + 24)) }
    : { timescale: buf.readUInt32BE(payload + 12), duration: buf.readUInt32BE(payload + 16) }
}

/**
 * Reads width, height and duration of an ISO-BMFF file (MP4, MOV, M4V) from its `moov` box: the
 * movie header's duration, and the presentation size of the first video track (`tkhd`, 16.16 fixed).
 * Only the box headers and the `moov` box are read, wherever it sits in the file. Undefined when the file
 * has no readable `moov` or no video track.
 */
export async function probeMp4(path: string): Promise<VideoInfo | undefined> {
  const file: FileHandle = await open(path, 'r')
  try {
    const size = (await file.stat()).size
    return await probeBoxes({
      size,
      read: async (into, length, position) => (await file.read(into, 0, length, position)).bytesRead,
    })
  } finally {
    await file.close()
  }
}

/** `probeMp4` of a file whose bytes are all in memory. */
export function probeMp4Bytes(bytes: Buffer): Promise<VideoInfo | undefined> {
  return probeBoxes({
    size: bytes.length,
    read: (into, length, position) =>
      Promise.resolve(position >= bytes.length ? 0 : bytes.copy(into, 0, position, position + length)),
  })
}

async function probeBoxes(file: ByteSource): Promise<VideoInfo | undefined> {
  const end = file.size
  let at = 0
  for (;;) {
    const box = await readBoxHeader(file, at, end)
    if (!box) return undefined
    if (box.type === 'moov') {
      if (box.size > MAX_MOOV_BYTES) return undefined
      const moov = Buffer.alloc(box.size)
      await file.read(moov, box.size, box.start)
      return parseMoov(moov)
    }
    at += box.size
  }
}

function parseMoov(moov: Buffer): VideoInfo | undefined {
  let movie: { timescale: number; duration: number } | undefined
  let video: { width: number; height: number; duration?: number } | undefined
  for (const child of childBoxes(moov, 8, moov.length)) {
    const payload = child.start + child.headerSize
    if (child.type === 'mvhd') movie = timing(moov, payload)
    if (child.type !== 'trak' || video) continue
    let size: { width: number; height: number } | undefined
    let isVideo = false
    let trackTiming: { timescale: number; duration: number } | undefined
    for (const t of childBoxes(moov, payload, child.start + child.size)) {
      const tp = t.start + t.headerSize
      if (t.type === 'tkhd') {
        const offset = moov.readUInt8(tp) === 1 ? 88 : 76
        size = {
          width: moov.readUInt32BE(tp + offset) / 65536,
          height: moov.readUInt32BE(tp + offset + 4) / 65536,
        }
      }
      if (t.type === 'mdia') {
        for (const m of childBoxes(moov, tp, t.start + t.size)) {
          const mp = m.start + m.headerSize
          if (m.type === 'hdlr') isVideo = moov.toString('latin1', mp + 8, mp + 12) === 'vide'
          if (m.type === 'mdhd') trackTiming = timing(moov, mp)
        }
      }
    }
    if (isVideo && size) {
      video = { ...size }
      if (trackTiming && trackTiming.timescale > 0)
        video.duration = trackTiming.duration / trackTiming.timescale
    }
  }
  if (!video) return undefined
  const duration =
    movie && movie.timescale > 0 && movie.duration > 0
      ? movie.duration / movie.timescale
      : (video.duration ?? 0)
  return { width: Math.round(video.width), height: Math.round(video.height), duration }
}
