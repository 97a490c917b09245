import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { probeBytes, probeFile, ProbeError, sniffHead, sniffType, type Sniffed } from '../jobs/probe.js'
import type { LibraryService } from '../media/library.service.js'
import type { CompiledMediaType } from '../media/media-types/metadata-validator.js'
import { assetOf, exifMappingsOf, tagMetadata } from '../media/upload/ingest.js'
import type { MediaKind } from '../media/entry.js'
import { newBlobKey } from '../storage/blob-store.js'
import type { ProjectStorage } from '../storage/project-storage.js'
import { bytesOf, IN_MEMORY_BYTES, readObject, type ObjectBytes } from './object-bytes.js'
import { SYNC_READ_BYTES, type SourceReader } from './source-reader.js'
import { readSidecarTags } from './sidecar.js'
import { sourceKey } from './source-storage.js'

/** The media type a sniffed type goes to, as uploads choose it. */
const DEFAULT_HANDLE: Record<string, string> = { image: 'image', video: 'video' }

export type IngestResult =
  | { ok: true; entryId: string; sha256: string }
  /**
   * A new object's entry, for the batch's one import (one transaction for the batch's new entries); `note`
   * names the metadata properties left out under `invalidMetadata: keep`.
   */
  | { ok: true; create: Record<string, unknown>; sha256: string; note?: string }
  | { ok: false; reason: string }

/** What the source and the scan ask of one object beyond reading it. */
export interface IngestOptions {
  /** The object's row of the scan's metadata file (metadata properties): wins over sidecar and embedded. */
  metadata?: Record<string, unknown>
  /** Metadata failing validation: fail the object (`refuse`, default), or leave the failing properties out. */
  invalidMetadata?: 'keep' | 'refuse'
  /** The source's `copy`: the bytes are stored in the project's blob store, the asset is the copy. */
  copy?: boolean
  /** The source's `mediaTypesByExtension` (`pdf` → `file`): chosen before the sniffed type's default. */
  mediaTypesByExtension?: Readonly<Record<string, string>>
}

export interface IngestDeps {
  library: Pick<LibraryService, 'patch'>
  assetUrl(key: string): string
  tmpDir: string
  /** The projects' blob stores, where sources with `copy` store what they read. */
  blobs?: Pick<ProjectStorage, 'files'>
  /** Errors that must fail the task (retried later), not the object: the database is unreachable. */
  isFatal(err: unknown): boolean
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** The media type of an object: by its extension when the source maps it, else by the sniffed type. */
function mediaTypeOf(
  relative: string,
  sniffed: string | undefined,
  mediaTypes: ReadonlyMap<string, CompiledMediaType>,
  byExtension: Readonly<Record<string, string>> = {},
): CompiledMediaType | { reason: string } {
  const ext = path.posix.extname(relative).slice(1).toLowerCase()
  const chosen = Object.hasOwn(byExtension, ext) ? byExtension[ext]! : undefined
  if (chosen !== undefined) {
    return mediaTypes.get(chosen) ?? { reason: `the media type '${chosen}' (for .${ext}) does not exist` }
  }
  return (
    mediaTypes.get(DEFAULT_HANDLE[(sniffed ?? '').split('/')[0]!] ?? '') ?? {
      reason: `not an image or a video (${sniffed ?? 'unknown type'})`,
    }
  )
}

/**
 * Checks metadata against the media type: `refuse` gives the failure's reason; `keep` leaves the failing
 * properties out and names them in the note.
 */
function checkMetadata(
  mediaType: CompiledMediaType,
  metadata: Record<string, unknown>,
  mode: 'keep' | 'refuse',
): { metadata: Record<string, unknown>; note?: string } | { reason: string } {
  const errors = mediaType.validateMetadata(metadata)
  if (errors.length === 0) return { metadata }
  const said = errors.map(
    (e) => e.custom ?? `${e.metadataProperty}${e.path.replace(/^\/[^/]*/, '')} ${e.rule}`,
  )
  if (mode === 'refuse') return { reason: `invalid metadata: ${said.join('; ')}` }
  const kept = { ...metadata }
  for (const e of errors) delete kept[e.metadataProperty]
  return { metadata: kept, note: `metadata left out: ${said.join('; ')}` }
}

/** Sniffs and probes an object read whole into memory or spilled to a temporary file. */
const sniffOf = (read: ObjectBytes) => (read.bytes ? sniffHead(read.bytes) : sniffType(read.file))
const probeOf = (read: ObjectBytes, kind: MediaKind, sniffed: Sniffed) =>
  read.bytes ? probeBytes(read.bytes, kind, sniffed) : probeFile(read.file, kind, sniffed)

/**
 * Reads one new or changed object (hashing it: into memory up to 2 MiB, else to a temporary file), sniffs
 * and probes it, and makes the
 * entry to create (the batch imports them together), or, when it has one (`entryId`: recorded, or found by `(systemName, externalId)` after a killed
 * attempt or an earlier import), replaces only its asset: metadata is never overwritten by a rescan.
 */
export function createIngest(deps: IngestDeps) {
  /** Stores a copy of the read bytes in the project's blob store under a new key (`copy: true` sources). */
  const storeCopy = async (
    project: string,
    read: ObjectBytes,
    probe: { extension: string; mimeType: string },
  ) => {
    if (!deps.blobs) throw new Error('this process has no blob store for copies')
    const store = deps.blobs.files(project)
    const key = newBlobKey(probe.extension)
    const options = { contentType: probe.mimeType }
    if (read.bytes) {
      if (store.putBytes) await store.putBytes(key, read.bytes, options)
      else await store.put(key, Readable.from([read.bytes]), options)
    } else if (store.putFile) await store.putFile(key, read.file, options)
    else await store.put(key, createReadStream(read.file), options)
    return key
  }
  return async (
    project: string,
    handle: string,
    reader: SourceReader,
    relative: string,
    entryId: string | undefined,
    mediaTypes: ReadonlyMap<string, CompiledMediaType>,
    options: IngestOptions = {},
  ): Promise<IngestResult> => {
    const tmp = path.join(deps.tmpDir, `${randomUUID()}.scan`)
    let spilled = false
    try {
      // Small files whole, without a stream, where the reader can; the rest streamed (and spilled when large).
      const small = reader.readSmall ? await reader.readSmall(relative, SYNC_READ_BYTES) : null
      const body = small === null ? await reader.get(relative) : undefined
      if (!small && !body) return { ok: false, reason: 'vanished before it was read' }
      const read = small
        ? bytesOf(small)
        : await readObject(body!, tmp, IN_MEMORY_BYTES, () => mkdir(deps.tmpDir, { recursive: true }))
      spilled = read.file !== undefined
      const sniffed = await sniffOf(read)
      const mediaType = mediaTypeOf(relative, sniffed?.mime, mediaTypes, options.mediaTypesByExtension)
      if ('reason' in mediaType) return { ok: false, reason: mediaType.reason }
      // The sniff above is the probe's: file-type runs once per object.
      const probe = await probeOf(read, mediaType.kind, { type: sniffed })
      // Tags are read before a copy is stored: a disk store moves a spilled temporary file in.
      const tags = entryId
        ? undefined
        : await tagMetadata(
            mediaType,
            read.bytes ?? read.file,
            exifMappingsOf(mediaType).length > 0 ? await readSidecarTags(reader, relative) : {},
          )
      const key = options.copy ? await storeCopy(project, read, probe) : sourceKey(handle, relative)
      const asset = assetOf(
        mediaType.kind,
        { key, url: deps.assetUrl(key), size: read.size, filename: path.posix.basename(relative) },
        probe,
      )
      if (entryId) {
        await deps.library.patch(project, entryId, { patches: [{ operation: 'replaceAsset', value: asset }] })
        return { ok: true, entryId, sha256: read.sha256 }
      }
      // Property by property: the metadata file's row, over the sidecar's, over the embedded tags.
      const checked = checkMetadata(
        mediaType,
        { ...tags, ...options.metadata },
        options.invalidMetadata ?? 'refuse',
      )
      if ('reason' in checked) return { ok: false, reason: checked.reason }
      return {
        ok: true,
        sha256: read.sha256,
        ...(checked.note !== undefined ? { note: checked.note } : {}),
        create: {
          systemName: handle,
          externalId: relative,
          mediaType: mediaType.handle,
          asset,
          metadata: checked.metadata,
        },
      }
    } catch (err) {
      if (deps.isFatal(err)) throw err
      if (err instanceof ProbeError) return { ok: false, reason: `probe failed: ${message(err)}` }
      // An entry that can no longer take the asset (trashed: 404), a read error: the object fails, the scan goes on.
      return { ok: false, reason: message(err) }
    } finally {
      if (spilled) await rm(tmp, { force: true })
    }
  }
}
