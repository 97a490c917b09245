import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { UploadRepository } from '../../db/upload.repository.js'
import type { DuplicatePolicy } from './duplicate-policy.js'
import { probeBytes, probeFile, ProbeError, sniffHead, type Probe } from '../../jobs/probe.js'
import { newBlobKey } from '../../storage/blob-store.js'
import type { ProjectStorage } from '../../storage/project-storage.js'
import type { Asset, MediaEntry, MediaKind } from '../entry.js'
import type { EntryFailure } from '../entry-validator.js'
import { correlationOf, type ImportService } from '../import.service.js'
import type { LibraryService } from '../library.service.js'
import type { CompiledMediaType } from '../media-types/metadata-validator.js'
import {
  mimeAllowed,
  restrictionsOf,
  type RestrictionError,
  tooLarge,
  typeRefused,
} from '../media-types/upload-restrictions.js'
import { PatchRejectedError, type Patch } from '../patch.service.js'
import { assetOf, receiveToFile, tagMetadata } from './ingest.js'

/** The resumable uploads in flight, as the tus routes see them: who owns one, its quota, its end. */
export type TusUploadRegistry = Pick<UploadRepository, 'getTusUpload' | 'addTusUpload' | 'deleteTusUpload'>

/** What comes with an uploaded file (multipart fields or tus metadata). */
export interface UploadRequest {
  filename: string
  mediaType?: string
  id?: string
  systemName?: string
  externalId?: string
  metadata?: Record<string, unknown>
  /** Replace the file of this entry instead of creating one. */
  entryId?: string
  /** With entryId: the entry's version must be this (the patch's version check). */
  version?: number
}

export type UploadFailure =
  | EntryFailure
  | { kind: 'restriction'; restriction: 'maxFileSize' | 'allowedMimeTypes'; message: string }
  | { kind: 'duplicate'; existingId: string }
  | { kind: 'notFound'; message: string }
  | { kind: 'conflict'; message: string }

export type UploadResult =
  | { ok: true; entry: MediaEntry; duplicate?: true }
  | { ok: false; correlation: string; failure: UploadFailure }

export interface UploadService {
  /** Streams one file in, then creates its entry (or replaces an entry's file). Refusals are results. */
  upload(project: string, source: Readable, request: UploadRequest): Promise<UploadResult>
  /**
   * Several files of one request (multipart): each is received and probed as its bytes arrive, and the new
   * entries are stored together (the files made durable in parallel, one import transaction), with the
   * same results as uploading them one after the other. Close the batch in a `finally`.
   */
  batch(project: string): UploadBatch
  /** The byte limit and refusal for a file of a declared size before any byte arrives (tus creation). */
  checkDeclared(project: string, request: UploadRequest, size: number): Promise<UploadFailure | undefined>
  /** sha256 → entry id for the hashes the project already holds (the CLI's bulk question). */
  knownHashes(project: string, sha256s: readonly string[]): Promise<Map<string, string>>
  duplicatePolicyOf(project: string): Promise<DuplicatePolicy>
  setDuplicatePolicy(project: string, policy: DuplicatePolicy): Promise<void>
}

/** The files of one request; see `UploadService.batch`. */
export interface UploadBatch {
  /** Reads one file to its end (so that the next part can follow) and queues it; refusals become its result. */
  add(source: Readable, request: UploadRequest): Promise<void>
  /** Stores what is queued: one result per added file, in the order they were added. */
  finish(): Promise<UploadResult[]>
  /** Removes the temporary files of what was not stored (a request that failed half-way). */
  close(): Promise<void>
}

export interface UploadServiceDeps {
  blobs: ProjectStorage
  importer: ImportService
  library: Pick<LibraryService, 'getOrFail' | 'patch'>
  mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  uploads: UploadRepository
  /** Records the SHA-256 of entries' bytes (the URL import's record of it), in one transaction. */
  setContentShas(project: string, rows: readonly { id: string; sha256: string }[]): Promise<void>
  /** Where files wait while they are probed. */
  tmpDir: string
  assetUrl(key: string): string
  /** The server-wide cap of one file, above every media type's own. */
  maxFileBytes: number
  now?: () => Date
}

const DEFAULT_HANDLE: Record<string, string> = { image: 'image', video: 'video' }
/** New entries of a batch stored together at most (a multipart request has `upload.maxFilesPerRequest`). */
const STORE_TOGETHER = 64
/** A file up to this size waits in memory (not in a temporary file) until it is stored… */
const HOLD_FILE_BYTES = 2 * 1024 * 1024
/** …while the files held by the whole process stay within this. */
const HOLD_TOTAL_BYTES = 64 * 1024 * 1024

/** A refusal found while the bytes arrive; carried out of the stream as an error. */
class Refusal extends Error {
  constructor(readonly failure: UploadFailure) {
    super('refused')
  }
}

function validation(message: string): UploadFailure {
  return { kind: 'validation', message }
}

/** A file received and probed, waiting to be stored. */
interface ReceivedFile {
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
interface Stored {
  file: ReceivedFile
  key: string
  metadata: Record<string, unknown>
  asset: Asset
}

export function createUploadService(deps: UploadServiceDeps): UploadService {
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

  /** Receives one file into `tmp` and probes it; a refusal is thrown (Refusal, ProbeError). */
  const receive = async (
    project: string,
    source: Readable,
    request: UploadRequest,
    existing: MediaEntry | undefined,
    tmp: string,
    slot: number,
  ): Promise<ReceivedFile> => {
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

  /** Gives a held file's bytes back to the memory budget. */
  const unhold = (file: Pick<ReceivedFile, 'held' | 'whole'>) => {
    held -= file.held
    file.held = 0
    delete file.whole
  }

  /** Moves a received file into the project's storage (durable before it is named) under a new key. */
  const put = async (project: string, file: ReceivedFile): Promise<Stored> => {
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
    upload: async (project, source, request) => {
      const batch = createBatch(project)
      try {
        await batch.add(source, request)
        return (await batch.finish())[0]!
      } finally {
        await batch.close()
      }
    },
    batch: (project) => createBatch(project),
    async checkDeclared(project, request, size) {
      const mediaTypes = await deps.mediaTypesOf(project)
      let handle = request.mediaType
      if (request.entryId !== undefined) {
        try {
          handle = (await deps.library.getOrFail(project, request.entryId)).mediaType
        } catch {
          return { kind: 'notFound', message: `No entry '${request.entryId}'` }
        }
      }
      if (handle === undefined)
        return size > deps.maxFileBytes ? tooLargeFailure('(any)', deps.maxFileBytes) : undefined
      const mediaType = mediaTypes.get(handle)
      if (!mediaType) return validation(`unknown media type '${handle}'`)
      const maxBytes = Math.min(restrictionsOf(mediaType.config).maxBytes, deps.maxFileBytes)
      return size > maxBytes ? tooLargeFailure(handle, maxBytes) : undefined
    },
    knownHashes: (project, sha256s) => deps.uploads.entriesBySha(project, sha256s),
    duplicatePolicyOf: (project) => deps.uploads.duplicatePolicyOf(project),
    async setDuplicatePolicy(project, policy) {
      if (!(await deps.uploads.setDuplicatePolicy(project, policy)))
        throw new Error(`No project '${project}'`)
    },
  }

  function createBatch(project: string): UploadBatch {
    const results: (UploadResult | undefined)[] = []
    /** Received new files not stored yet, and their hashes. */
    let queued: ReceivedFile[] = []
    const queuedShas = new Set<string>()
    /** Temporary files not moved into the storage yet, and received files not stored yet. */
    const tmps = new Set<string>()
    const waiting = new Set<ReceivedFile>()
    const failOf = (request: UploadRequest, failure: UploadFailure): UploadResult => ({
      ok: false,
      correlation: correlationOf(request, 0),
      failure,
    })
    const drop = async (tmp: string) => {
      tmps.delete(tmp)
      await rm(tmp, { force: true })
    }
    /** A received file that will not be stored: its memory or its temporary file goes. */
    const discard = async (file: ReceivedFile) => {
      waiting.delete(file)
      const inMemory = file.whole !== undefined
      unhold(file)
      if (inMemory) tmps.delete(file.tmp)
      else await drop(file.tmp)
    }
    /** Keys stored that no entry names yet: removed again unless their entries are created. */
    const unnamed = new Set<string>()
    /** A file now in the storage. */
    const stored = (file: ReceivedFile) => {
      waiting.delete(file)
      tmps.delete(file.tmp)
    }
    const unstore = async (keys: readonly string[]) => {
      const blobs = deps.blobs.files(project)
      await Promise.all(
        keys.map((key) => {
          unnamed.delete(key)
          return blobs.delete(key).catch(() => undefined)
        }),
      )
    }

    /** Stores the queued files: duplicates by the project's policy, the others' entries in one import. */
    const store = async () => {
      const files = queued
      queued = []
      queuedShas.clear()
      if (files.length === 0) return
      const puts = await Promise.allSettled(files.map((f) => f.storing!))
      const inStore = puts.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []))
      const refused = puts.find((p) => p.status === 'rejected')
      if (refused) {
        await unstore(inStore.map((s) => s.key))
        throw refused.reason
      }
      const policy = await deps.uploads.duplicatePolicyOf(project)
      const held =
        policy === 'allow'
          ? new Map<string, string>()
          : await deps.uploads.entriesBySha(project, [...new Set(files.map((f) => f.sha256))])
      const fresh: typeof inStore = []
      const duplicates: string[] = []
      for (const s of inStore) {
        const { file } = s
        const same = held.get(file.sha256)
        if (same === undefined) {
          fresh.push(s)
          continue
        }
        duplicates.push(s.key)
        if (policy === 'reject')
          results[file.slot] = failOf(file.request, { kind: 'duplicate', existingId: same })
        else
          results[file.slot] = {
            ok: true,
            duplicate: true,
            entry: await deps.library.getOrFail(project, same),
          }
      }
      await unstore(duplicates)
      if (fresh.length === 0) return
      const imported = await deps.importer.importEntries(
        project,
        fresh[0]!.file.mediaTypes,
        fresh.map(({ file, asset, metadata }) => ({
          ...(file.request.id !== undefined ? { id: file.request.id } : {}),
          ...(file.request.systemName !== undefined ? { systemName: file.request.systemName } : {}),
          ...(file.request.externalId !== undefined ? { externalId: file.request.externalId } : {}),
          mediaType: file.mediaType.handle,
          asset,
          metadata,
        })),
        // Written in the entries' own insert (the duplicate check above reads it).
        { contentSha256: fresh.map(({ file }) => file.sha256) },
      )
      const failedKeys: string[] = []
      imported.forEach((result, i) => {
        const { file, key } = fresh[i]!
        if (result.ok) {
          results[file.slot] = result
          unnamed.delete(key)
        } else {
          results[file.slot] = failOf(file.request, result.failure)
          failedKeys.push(key)
        }
      })
      await unstore(failedKeys)
    }

    /** Replaces an entry's file (after what is queued, so that the order of effects is the request's). */
    const replace = async (file: ReceivedFile, existing: MediaEntry): Promise<UploadResult> => {
      const { key, asset } = await put(project, file)
      stored(file)
      const patches: Patch[] = [{ operation: 'replaceAsset', value: asset }]
      for (const [propertyName, value] of Object.entries(file.request.metadata ?? {})) {
        patches.push({ operation: 'setMetadataProperty', propertyName, value })
      }
      const { version } = file.request
      const patch = version === undefined ? { patches } : { patches, version }
      let entry: MediaEntry
      try {
        entry = await deps.library.patch(project, existing.id, patch)
      } catch (err) {
        await deps.blobs
          .files(project)
          .delete(key)
          .catch(() => undefined)
        if (err instanceof PatchRejectedError) return failOf(file.request, err.failure)
        const status = (err as { status?: unknown }).status
        if (status === 409) return failOf(file.request, { kind: 'conflict', message: (err as Error).message })
        throw err
      }
      await deps.setContentShas(project, [{ id: entry.id, sha256: file.sha256 }])
      return { ok: true, entry }
    }

    return {
      async add(source, request) {
        const slot = results.length
        results.push(undefined)
        let existing: MediaEntry | undefined
        if (request.entryId !== undefined) {
          try {
            existing = await deps.library.getOrFail(project, request.entryId)
          } catch (err) {
            source.resume()
            if ((err as { status?: unknown }).status === 404) {
              results[slot] = failOf(request, { kind: 'notFound', message: `No entry '${request.entryId}'` })
              return
            }
            throw err
          }
        }
        tmpReady ??= mkdir(deps.tmpDir, { recursive: true })
        await tmpReady
        const tmp = path.join(deps.tmpDir, `${randomUUID()}.upload`)
        tmps.add(tmp)
        let file: ReceivedFile
        try {
          file = await receive(project, source, request, existing, tmp, slot)
        } catch (err) {
          await drop(tmp)
          if (err instanceof Refusal) results[slot] = failOf(request, err.failure)
          else if (err instanceof ProbeError) results[slot] = failOf(request, validation(err.message))
          else throw err
          return
        }
        waiting.add(file)
        // A replacement, or bytes equal to a queued file's (whose entry must exist first for the duplicate
        // policy to see it), waits until what is queued is stored: as if each file came alone, in order.
        if (existing || queuedShas.has(file.sha256) || queued.length >= STORE_TOGETHER) await store()
        if (existing) {
          try {
            results[slot] = await replace(file, existing)
          } finally {
            if (waiting.has(file)) await discard(file)
          }
          return
        }
        // Stored right away (durable before it is named, while the next parts arrive); it is removed again if
        // the project already holds the bytes or its entry is refused.
        file.storing = put(project, file).then((s) => {
          stored(file)
          unnamed.add(s.key)
          return s
        })
        file.storing.catch(() => undefined)
        queued.push(file)
        queuedShas.add(file.sha256)
      },
      async finish() {
        await store()
        return results as UploadResult[]
      },
      async close() {
        // A request that failed half-way: what was stored for it goes.
        await Promise.allSettled(queued.map((f) => f.storing))
        await unstore([...unnamed])
        for (const file of waiting) unhold(file)
        waiting.clear()
        await Promise.all([...tmps].map((tmp) => rm(tmp, { force: true })))
        tmps.clear()
      },
    }
  }
}

function restrictionOf(err: RestrictionError) {
  return { restriction: err.restriction, message: err.message }
}

function tooLargeFailure(handle: string, maxBytes: number): UploadFailure {
  return { kind: 'restriction', ...restrictionOf(tooLarge(handle, { maxBytes })) }
}
