import { createHash } from 'node:crypto'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { HoldingSink } from '../../storage/holding-sink.js'
import { metadataFromTags, readImageTags, type ExifMapping, type Probe } from '../../jobs/probe.js'
import type { Asset, MediaKind } from '../entry.js'
import type { CompiledMediaType } from '../media-types/metadata-validator.js'

/**
 * The part of a file's intake that uploads and URL imports share: receive the bytes (hashing and counting
 * as they arrive), describe the stored file as an asset, read metadata from its tags.
 */

/** Bytes the type is sniffed from before a byte is written (file-type reads at most this far for most types). */
export const HEAD_BYTES = 4100

export interface Received {
  size: number
  sha256: string
  /** The whole file, when it was held in memory (no larger than `holdBytes`): then nothing was written. */
  whole?: Buffer
}

/** What `admit` answers for a file's first bytes: how many bytes it may have, and the refusal past that. */
export interface Admission {
  maxBytes: number
  tooLarge(): Error
}

/**
 * Streams `source` into `file`, hashing and counting. `admit` sees the first HEAD_BYTES (the whole file
 * when smaller) before anything is written and returns the byte limit, or throws to refuse the file; past
 * the limit the write stops with `tooLarge()`. On a refusal, the rest of `source` is drained unread so
 * that a multipart body can go on to its next part. A file of at most `holdBytes` stays in memory and comes
 * back whole, and `file` is not written; a larger one is streamed to `file`.
 */
export async function receiveToFile(
  source: Readable,
  file: string,
  admit: (head: Buffer) => Promise<Admission>,
  holdBytes = 0,
): Promise<Received> {
  const hash = createHash('sha256')
  let size = 0
  let head: Buffer[] | undefined = []
  let headBytes = 0
  let admission: Admission | undefined
  const check = () => {
    if (admission && size > admission.maxBytes) throw admission.tooLarge()
  }
  const release = async () => {
    const bytes = Buffer.concat(head ?? [])
    head = undefined
    admission = await admit(bytes)
    check()
    return bytes
  }
  const gate = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length
      hash.update(chunk)
      if (head) {
        head.push(chunk)
        headBytes += chunk.length
        if (headBytes < HEAD_BYTES) return done()
        release().then((bytes) => done(null, bytes), done)
        return
      }
      try {
        check()
        done(null, chunk)
      } catch (err) {
        done(err as Error)
      }
    },
    flush(done) {
      if (!head) return done()
      release().then((bytes) => done(null, bytes), done)
    },
  })
  const onSourceError = (err: Error) => gate.destroy(err)
  source.once('error', onSourceError)
  source.pipe(gate)
  const sink = new HoldingSink(file, holdBytes)
  try {
    await pipeline(gate, sink)
  } catch (err) {
    source.unpipe(gate)
    if (!source.destroyed) source.resume()
    throw err
  } finally {
    source.off('error', onSourceError)
  }
  const received: Received = { size, sha256: hash.digest('hex') }
  const whole = sink.whole()
  if (whole) received.whole = whole
  return received
}

/** The asset of a stored file: its key, measures and sniffed type. */
export function assetOf(
  kind: MediaKind,
  stored: { key: string; url: string; size: number; filename: string },
  probe: Probe,
): Asset {
  const asset: Asset = { ...stored, mimeType: probe.mimeType }
  if (kind !== 'mediaFile') {
    asset.width = probe.width ?? 0
    asset.height = probe.height ?? 0
  }
  if (kind === 'mediaVideo') asset.duration = probe.duration ?? 0
  return asset
}

/** Metadata from an image's EXIF/IPTC/XMP tags by the media type's `exifExtraction.mappings`. */
export async function tagMetadata(
  mediaType: CompiledMediaType,
  file: string | Buffer,
  sidecarTags: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const mappings = exifMappingsOf(mediaType)
  if (mappings.length === 0) return {}
  const embedded =
    mediaType.kind === 'mediaImage' ? metadataFromTags(await readImageTags(file), mappings) : {}
  // A sidecar's values win over the embedded ones (sources, issue #22).
  return { ...embedded, ...metadataFromTags(sidecarTags, mappings) }
}

/** The media type's `exifExtraction.mappings` (none: `[]`). */
export function exifMappingsOf(mediaType: CompiledMediaType): readonly ExifMapping[] {
  return (
    (mediaType.config as { exifExtraction?: { mappings?: ExifMapping[] } }).exifExtraction?.mappings ?? []
  )
}
