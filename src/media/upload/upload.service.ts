import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import type { UploadRepository } from '../../db/upload.repository.js'
import type { DuplicatePolicy } from './duplicate-policy.js'
import { probeFile, ProbeError, sniffHead } from '../../jobs/probe.js'
import { newBlobKey } from '../../storage/blob-store.js'
import type { ProjectStorage } from '../../storage/project-storage.js'
import type { MediaEntry, MediaKind } from '../entry.js'
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
  /** The byte limit and refusal for a file of a declared size before any byte arrives (tus creation). */
  checkDeclared(project: string, request: UploadRequest, size: number): Promise<UploadFailure | undefined>
  /** sha256 → entry id for the hashes the project already holds (the CLI's bulk question). */
  knownHashes(project: string, sha256s: readonly string[]): Promise<Map<string, string>>
  duplicatePolicyOf(project: string): Promise<DuplicatePolicy>
  setDuplicatePolicy(project: string, policy: DuplicatePolicy): Promise<void>
}

export interface UploadServiceDeps {
  blobs: ProjectStorage
  importer: ImportService
  library: Pick<LibraryService, 'getOrFail' | 'patch'>
  mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  uploads: UploadRepository
  /** Records the SHA-256 of an entry's bytes (the URL import's record of it). */
  setContentSha(project: string, entryId: string, sha256: string): Promise<void>
  /** Where files wait while they are probed. */
  tmpDir: string
  assetUrl(key: string): string
  /** The server-wide cap of one file, above every media type's own. */
  maxFileBytes: number
  now?: () => Date
}

const DEFAULT_HANDLE: Record<string, string> = { image: 'image', video: 'video' }

/** A refusal found while the bytes arrive; carried out of the stream as an error. */
class Refusal extends Error {
  constructor(readonly failure: UploadFailure) {
    super('refused')
  }
}

function validation(message: string): UploadFailure {
  return { kind: 'validation', message }
}

export function createUploadService(deps: UploadServiceDeps): UploadService {
  const now = deps.now ?? (() => new Date())
  let tmpReady: Promise<unknown> | undefined

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

  const receive = async (
    project: string,
    source: Readable,
    request: UploadRequest,
    existing: MediaEntry | undefined,
    tmp: string,
  ) => {
    const mediaTypes = await deps.mediaTypesOf(project)
    let mediaType: CompiledMediaType | undefined
    const received = await receiveToFile(source, tmp, async (head) => {
      const sniffed = await sniffHead(head)
      mediaType = resolve(mediaTypes, existing?.mediaType ?? request.mediaType, sniffed?.mime)
      const restrictions = restrictionsOf(mediaType.config)
      const refuse = (err: RestrictionError) => new Refusal({ kind: 'restriction', ...restrictionOf(err) })
      if (sniffed && !mimeAllowed(sniffed.mime, restrictions)) {
        throw refuse(typeRefused(mediaType.handle, sniffed.mime, restrictions))
      }
      const maxBytes = Math.min(restrictions.maxBytes, deps.maxFileBytes)
      return {
        maxBytes,
        tooLarge: () => refuse(tooLarge(mediaType!.handle, { ...restrictions, maxBytes })),
      }
    })
    return { ...received, mediaType: mediaType!, mediaTypes }
  }

  const store = async (
    project: string,
    source: Readable,
    request: UploadRequest,
    existing: MediaEntry | undefined,
    tmp: string,
  ): Promise<UploadResult> => {
    const correlation = correlationOf(request, 0)
    const fail = (failure: UploadFailure): UploadResult => ({ ok: false, correlation, failure })
    const { size, sha256, mediaType, mediaTypes } = await receive(project, source, request, existing, tmp)
    const kind: MediaKind = mediaType.kind
    const probe = await probeFile(tmp, kind)
    const restrictions = restrictionsOf(mediaType.config)
    if (!mimeAllowed(probe.mimeType, restrictions)) {
      return fail({
        kind: 'restriction',
        ...restrictionOf(typeRefused(mediaType.handle, probe.mimeType, restrictions)),
      })
    }
    if (!existing) {
      const policy = await deps.uploads.duplicatePolicyOf(project)
      const same =
        policy === 'allow' ? undefined : (await deps.uploads.entriesBySha(project, [sha256])).get(sha256)
      if (same !== undefined) {
        if (policy === 'reject') return fail({ kind: 'duplicate', existingId: same })
        return { ok: true, duplicate: true, entry: await deps.library.getOrFail(project, same) }
      }
    }
    const blobs = deps.blobs.files(project)
    const key = newBlobKey(probe.extension, now())
    // Tags are read before the file is handed to the store (a disk store moves it away).
    const metadata = { ...(await tagMetadata(mediaType, tmp)), ...(request.metadata ?? {}) }
    if (blobs.putFile) await blobs.putFile(key, tmp, { contentType: probe.mimeType })
    else await blobs.put(key, createReadStream(tmp), { contentType: probe.mimeType })
    const asset = assetOf(kind, { key, url: deps.assetUrl(key), size, filename: request.filename }, probe)
    let result: UploadResult
    try {
      if (existing) {
        const patches: Patch[] = [{ operation: 'replaceAsset', value: asset }]
        for (const [propertyName, value] of Object.entries(request.metadata ?? {})) {
          patches.push({ operation: 'setMetadataProperty', propertyName, value })
        }
        const patch = request.version === undefined ? { patches } : { patches, version: request.version }
        result = { ok: true, entry: await deps.library.patch(project, existing.id, patch) }
      } else {
        const [imported] = await deps.importer.importEntries(project, mediaTypes, [
          {
            ...(request.id !== undefined ? { id: request.id } : {}),
            ...(request.systemName !== undefined ? { systemName: request.systemName } : {}),
            ...(request.externalId !== undefined ? { externalId: request.externalId } : {}),
            mediaType: mediaType.handle,
            asset,
            metadata,
          },
        ])
        result = imported!.ok ? imported! : fail(imported!.failure)
      }
    } catch (err) {
      await blobs.delete(key).catch(() => undefined)
      if (err instanceof PatchRejectedError) return fail(err.failure)
      const status = (err as { status?: unknown }).status
      if (status === 409) return fail({ kind: 'conflict', message: (err as Error).message })
      throw err
    }
    if (!result.ok) {
      await blobs.delete(key).catch(() => undefined)
      return result
    }
    await deps.setContentSha(project, result.entry.id, sha256)
    return result
  }

  return {
    async upload(project, source, request) {
      const correlation = correlationOf(request, 0)
      let existing: MediaEntry | undefined
      if (request.entryId !== undefined) {
        try {
          existing = await deps.library.getOrFail(project, request.entryId)
        } catch (err) {
          source.resume()
          if ((err as { status?: unknown }).status === 404) {
            return {
              ok: false,
              correlation,
              failure: { kind: 'notFound', message: `No entry '${request.entryId}'` },
            }
          }
          throw err
        }
      }
      tmpReady ??= mkdir(deps.tmpDir, { recursive: true })
      await tmpReady
      const tmp = path.join(deps.tmpDir, `${randomUUID()}.upload`)
      try {
        return await store(project, source, request, existing, tmp)
      } catch (err) {
        if (err instanceof Refusal) return { ok: false, correlation, failure: err.failure }
        if (err instanceof ProbeError) return { ok: false, correlation, failure: validation(err.message) }
        throw err
      } finally {
        await rm(tmp, { force: true })
      }
    },
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
}

function restrictionOf(err: RestrictionError) {
  return { restriction: err.restriction, message: err.message }
}

function tooLargeFailure(handle: string, maxBytes: number): UploadFailure {
  return { kind: 'restriction', ...restrictionOf(tooLarge(handle, { maxBytes })) }
}
