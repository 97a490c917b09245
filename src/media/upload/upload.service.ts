import type { Readable } from 'node:stream'
import type { UploadRepository } from '../../db/upload.repository.js'
import type { ProjectStorage } from '../../storage/project-storage.js'
import type { MediaEntry } from '../entry.js'
import type { EntryFailure } from '../entry-validator.js'
import type { ImportService } from '../import.service.js'
import type { LibraryService } from '../library.service.js'
import type { CompiledMediaType } from '../media-types/metadata-validator.js'
import { restrictionsOf, tooLarge } from '../media-types/upload-restrictions.js'
import type { DuplicatePolicy } from './duplicate-policy.js'
import { createUploadBatch } from './upload-batch.js'
import { createReceiver, restrictionOf, validation } from './upload-receiver.js'

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

export function createUploadService(deps: UploadServiceDeps): UploadService {
  const receiver = createReceiver(deps)
  return {
    upload: async (project, source, request) => {
      const batch = createUploadBatch(project, deps, receiver)
      try {
        await batch.add(source, request)
        return (await batch.finish())[0]!
      } finally {
        await batch.close()
      }
    },
    batch: (project) => createUploadBatch(project, deps, receiver),
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

function tooLargeFailure(handle: string, maxBytes: number): UploadFailure {
  return { kind: 'restriction', ...restrictionOf(tooLarge(handle, { maxBytes })) }
}
