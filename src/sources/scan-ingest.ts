import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { probeBytes, probeFile, ProbeError, sniffHead, sniffType } from '../jobs/probe.js'
import type { LibraryService } from '../media/library.service.js'
import type { CompiledMediaType } from '../media/media-types/metadata-validator.js'
import { assetOf, exifMappingsOf, tagMetadata } from '../media/upload/ingest.js'
import type { MediaKind } from '../media/entry.js'
import { IN_MEMORY_BYTES, readObject, type ObjectBytes } from './object-bytes.js'
import type { SourceReader } from './source-reader.js'
import { readSidecarTags } from './sidecar.js'
import { sourceKey } from './source-storage.js'

/** The media type a sniffed type goes to, as uploads choose it. */
const DEFAULT_HANDLE: Record<string, string> = { image: 'image', video: 'video' }

export type IngestResult =
  | { ok: true; entryId: string; sha256: string }
  /** A new object's entry, for the batch's one import (one transaction for the batch's new entries). */
  | { ok: true; create: Record<string, unknown>; sha256: string }
  | { ok: false; reason: string }

export interface IngestDeps {
  library: Pick<LibraryService, 'patch'>
  assetUrl(key: string): string
  tmpDir: string
  /** Errors that must fail the task (retried later), not the object: the database is unreachable. */
  isFatal(err: unknown): boolean
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** Sniffs and probes an object read whole into memory or spilled to a temporary file. */
const sniffOf = (read: ObjectBytes) => (read.bytes ? sniffHead(read.bytes) : sniffType(read.file))
const probeOf = (read: ObjectBytes, kind: MediaKind) =>
  read.bytes ? probeBytes(read.bytes, kind) : probeFile(read.file, kind)

/**
 * Reads one new or changed object (hashing it: into memory up to 2 MiB, else to a temporary file), sniffs
 * and probes it, and makes the
 * entry to create (the batch imports them together), or, when it has one (`entryId`: recorded, or found by `(systemName, externalId)` after a killed
 * attempt or an earlier import), replaces only its asset: metadata is never overwritten by a rescan.
 */
export function createIngest(deps: IngestDeps) {
  return async (
    project: string,
    handle: string,
    reader: SourceReader,
    relative: string,
    entryId: string | undefined,
    mediaTypes: ReadonlyMap<string, CompiledMediaType>,
  ): Promise<IngestResult> => {
    const tmp = path.join(deps.tmpDir, `${randomUUID()}.scan`)
    let spilled = false
    try {
      const body = await reader.get(relative)
      if (!body) return { ok: false, reason: 'vanished before it was read' }
      const read = await readObject(body, tmp, IN_MEMORY_BYTES, () => mkdir(deps.tmpDir, { recursive: true }))
      spilled = read.file !== undefined
      const sniffed = await sniffOf(read)
      const mediaType = mediaTypes.get(DEFAULT_HANDLE[(sniffed?.mime ?? '').split('/')[0]!] ?? '')
      if (!mediaType) {
        return { ok: false, reason: `not an image or a video (${sniffed?.mime ?? 'unknown type'})` }
      }
      const probe = await probeOf(read, mediaType.kind)
      const key = sourceKey(handle, relative)
      const asset = assetOf(
        mediaType.kind,
        { key, url: deps.assetUrl(key), size: read.size, filename: path.posix.basename(relative) },
        probe,
      )
      if (entryId) {
        await deps.library.patch(project, entryId, { patches: [{ operation: 'replaceAsset', value: asset }] })
        return { ok: true, entryId, sha256: read.sha256 }
      }
      return {
        ok: true,
        sha256: read.sha256,
        create: {
          systemName: handle,
          externalId: relative,
          mediaType: mediaType.handle,
          asset,
          // Embedded EXIF/IPTC/XMP and an XMP sidecar through the media type's mappings; the sidecar wins.
          metadata: await tagMetadata(
            mediaType,
            read.bytes ?? read.file,
            exifMappingsOf(mediaType).length > 0 ? await readSidecarTags(reader, relative) : {},
          ),
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
