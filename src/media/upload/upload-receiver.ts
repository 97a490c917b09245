// One uploaded file on its way in: its bytes into a temporary file (or memory, within a process-wide budget),
// the media type it goes to, its probe and the type restrictions, then its move into the project's storage.
// Split from upload.service.ts; a batch of the service (upload-batch.ts) drives it.
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { probeBytes, probeFile, sniffHead, type Probe } from '../../jobs/probe.js'
import { newBlobKey } from '../../storage/blob-store.js'
import type { Asset, MediaEntry, MediaKind } from '../entry.js'
import type { CompiledMediaType } from '../media-types/metadata-validator.js'
import {
  mimeAllowed,
  restrictionsOf,
  type RestrictionError,
  tooLarge,
  typeRefused,
} from '../media-types/upload-restrictions.js'
import { assetOf, receiveToFile, tagMetadata } from './ingest.js'
import type { UploadFailure, UploadRequest, UploadServiceDeps } from './upload.service.js'

const DEFAULT_HANDLE: Record<string, string> = { image: 'image', video: 'video' }
/** A file up to this size waits in memory (not in a temporary file) until it is stored… */
const HOLD_FILE_BYTES = 2 * 1024 * 1024
/** …while the files held by the whole process stay within this. */
const HOLD_TOTAL_BYTES = 64 * 1024 * 1024

/** A refusal found while the bytes arrive; carried out of the stream as an error. */
export class Refusal extends Error {
  constructor(readonly failure: UploadFailure) {
    super('refused')
  }
}

export function validation(message: string): UploadFailure {
  return { kind: 'validation', message }
}

/** A file received and probed, waiting to be stored. */
export interface ReceivedFile {
  /** Its place among the batch's results. */
  slot: number
  request: UploadRequest
  /** Where the file waits, unless it is held in memory (`whole`). */
  tmp: string
  size: number
  sha256: string
  /** The whole file when it is held in memory. */
  whole?: Buffer
  /** Bytes of the memory budget it holds. */
  held: number
  /** Its move into the storage, under way as soon as it is received (new entries). */
  storing?: Promise<Stored>
  mediaType: CompiledMediaType
  mediaTypes: ReadonlyMap<string, CompiledMediaType>
  probe?: Probe
}

/** A file in the storage, and what its entry will be made of. */
export interface Stored {
  file: ReceivedFile
  key: string
  metadata: Record<string, unknown>
  asset: Asset
}

export interface Receiver {
  /** Receives one file into `tmp` and probes it; a refusal is thrown (Refusal, ProbeError). */
  receive(
    project: string,
    source: Readable,
    request: UploadRequest,
    existing: MediaEntry | undefined,
    tmp: string,
    slot: number,
  ): Promise<ReceivedFile>
  /** Gives a held file's bytes back to the memory budget. */
  unhold(file: Pick<ReceivedFile, 'held' | 'whole'>): void
  /** Moves a received file into the project's storage (durable before it is named) under a new key. */
  put(project: string, file: ReceivedFile): Promise<Stored>
  /** A new path for a temporary file (its directory made on first use). */
  tmpFile(): Promise<string>
}

export function createReceiver(deps: UploadServiceDeps): Receiver {
  const now = deps.now ?? (() => new Date())
  let tmpReady: Promise<unknown> | undefined
  /** Bytes of small files held in memory across requests (HOLD_TOTAL_BYTES at most). */
  let held = 0

  /** The media type an upload goes to: the asked one, the replaced entry's, or the default for the sniffed type. */
  const resolve = (
    mediaTypes: ReadonlyMap<string, CompiledMediaType>,
    handle: string | undefined,
    mime: string | undefined,
  ): CompiledMediaType => {
    const chosen = handle ?? DEFAULT_HANDLE[(mime ?? '').split('/')[0]!] ?? 'file'
    const mediaType = mediaTypes.get(chosen)
    if (!mediaType) throw new Refusal(validation(`unknown media type '${chosen}'`))
    return mediaType
  }

  const receive: Receiver['receive'] = async (project, source, request, existing, tmp, slot) => {
    const mediaTypes = await deps.mediaTypesOf(project)
    let mediaType: CompiledMediaType | undefined
    // A place in the memory budget for the file, given back below for what it does not use.
    const reserved = held + HOLD_FILE_BYTES <= HOLD_TOTAL_BYTES ? HOLD_FILE_BYTES : 0
    held += reserved
    let received
    try {
      received = await receiveToFile(
        source,
        tmp,
        async (head) => {
          const sniffed = await sniffHead(head)
          mediaType = resolve(mediaTypes, existing?.mediaType ?? request.mediaType, sniffed?.mime)
          const restrictions = restrictionsOf(mediaType.config)
          const refuse = (err: RestrictionError) =>
            new Refusal({ kind: 'restriction', ...restrictionOf(err) })
          if (sniffed && !mimeAllowed(sniffed.mime, restrictions)) {
            throw refuse(typeRefused(mediaType.handle, sniffed.mime, restrictions))
          }
          const maxBytes = Math.min(restrictions.maxBytes, deps.maxFileBytes)
          return {
            maxBytes,
            tooLarge: () => refuse(tooLarge(mediaType!.handle, { ...restrictions, maxBytes })),
          }
        },
        reserved,
      )
    } finally {
      held -= reserved
    }
    const file: ReceivedFile = { ...received, slot, request, tmp, mediaType: mediaType!, mediaTypes, held: 0 }
    if (received.whole) {
      file.held = received.whole.length
      held += file.held
    }
    try {
      const kind: MediaKind = mediaType!.kind
      // The whole type sniff and the measures, from the bytes in memory when the file is held.
      file.probe = received.whole ? await probeBytes(received.whole, kind) : await probeFile(tmp, kind)
      const restrictions = restrictionsOf(mediaType!.config)
      if (!mimeAllowed(file.probe.mimeType, restrictions)) {
        throw new Refusal({
          kind: 'restriction',
          ...restrictionOf(typeRefused(mediaType!.handle, file.probe.mimeType, restrictions)),
        })
      }
    } catch (err) {
      unhold(file)
      throw err
    }
    return file as ReceivedFile & { probe: Probe }
  }

  const unhold: Receiver['unhold'] = (file) => {
    held -= file.held
    file.held = 0
    delete file.whole
  }

  const put: Receiver['put'] = async (project, file) => {
    const blobs = deps.blobs.files(project)
    const probe = file.probe!
    const key = newBlobKey(probe.extension, now())
    const options = { contentType: probe.mimeType }
    // Tags are read before the file is handed to the store (a disk store moves it away).
    const metadata = {
      ...(await tagMetadata(file.mediaType, file.whole ?? file.tmp)),
      ...(file.request.metadata ?? {}),
    }
    if (file.whole) {
      if (blobs.putBytes) await blobs.putBytes(key, file.whole, options)
      else await blobs.put(key, Readable.from([file.whole]), options)
      unhold(file)
    } else if (blobs.putFile) await blobs.putFile(key, file.tmp, options)
    else await blobs.put(key, createReadStream(file.tmp), options)
    const asset = assetOf(
      file.mediaType.kind,
      { key, url: deps.assetUrl(key), size: file.size, filename: file.request.filename },
      probe,
    )
    return { file, key, metadata, asset }
  }

  return {
    receive,
    unhold,
    put,
    async tmpFile() {
      tmpReady ??= mkdir(deps.tmpDir, { recursive: true })
      await tmpReady
      return path.join(deps.tmpDir, `${randomUUID()}.upload`)
    },
  }
}

export function restrictionOf(err: RestrictionError) {
  return { restriction: err.restriction, message: err.message }
}
