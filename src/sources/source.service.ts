import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { SourceObjectRecord, SourceRecord, SourceRepository } from '../db/source.repository.js'
import { UsageError } from '../errors.js'
import { probeFile, ProbeError, sniffType } from '../jobs/probe.js'
import type { ImportService } from '../media/import.service.js'
import type { LibraryService } from '../media/library.service.js'
import type { CompiledMediaType } from '../media/media-types/metadata-validator.js'
import { assetOf, tagMetadata } from '../media/upload/ingest.js'
import { hashingTap } from '../storage/hashing-tap.js'
import type { SourceReader } from './source-reader.js'
import type { SourceReaders } from './source-readers.js'
import { sourceKey } from './source-storage.js'

/** What a scan did, object by object, summed. */
export interface ScanCounts {
  added: number
  changed: number
  /** Objects present at the last scan and gone now (their entries stay, marked in source_objects). */
  missing: number
  /** Same size and mtime/ETag as at the last scan: not read at all. */
  unchanged: number
  /** Files that are no image or video, or that failed to probe or import. */
  skipped: number
}

export type SourceSpec =
  | { kind: 'disk'; dir: string }
  | {
      kind: 's3'
      bucket: string
      prefix: string
      endpoint?: string
      region?: string
      forcePathStyle?: boolean
    }

export interface SourceService {
  add(project: string, handle: string, spec: SourceSpec): Promise<SourceRecord>
  list(project: string): Promise<SourceRecord[]>
  remove(project: string, handle: string): Promise<void>
  /** `wrap` sees the reader the scan uses (tests count its reads). */
  scan(
    project: string,
    handle: string,
    options?: { wrap?: (reader: SourceReader) => SourceReader },
  ): Promise<ScanCounts>
  /** The reader of a project's source, or undefined when there is none (serving in place). */
  readerOf(project: string, handle: string): Promise<SourceReader | undefined>
}

const HANDLE = /^[a-z][a-z0-9-]*$/
/** The media type a sniffed type goes to, as uploads choose it. */
const DEFAULT_HANDLE: Record<string, string> = { image: 'image', video: 'video' }

export function createSourceService(deps: {
  sources: SourceRepository
  importer: Pick<ImportService, 'importEntries'>
  library: Pick<LibraryService, 'patch'>
  mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  assetUrl(key: string): string
  readers: SourceReaders
  tmpDir: string
}): SourceService {
  const { open } = deps.readers

  /** Copies the object to a temporary file, hashing it on the way. */
  const fetchToTmp = async (reader: SourceReader, relative: string, tmp: string) => {
    const body = await reader.get(relative)
    if (!body) return undefined
    const { tap, result } = hashingTap()
    await pipeline(body, tap, createWriteStream(tmp))
    return result()
  }

  /** Reads, probes and creates or updates the entry of one new or changed object. */
  const ingest = async (
    project: string,
    handle: string,
    reader: SourceReader,
    relative: string,
    known: SourceObjectRecord | undefined,
    mediaTypes: ReadonlyMap<string, CompiledMediaType>,
  ): Promise<{ entryId: string; sha256: string } | undefined> => {
    await mkdir(deps.tmpDir, { recursive: true })
    const tmp = path.join(deps.tmpDir, `${randomUUID()}.scan`)
    try {
      const read = await fetchToTmp(reader, relative, tmp)
      if (!read) return undefined
      const sniffed = await sniffType(tmp)
      const mediaType = mediaTypes.get(DEFAULT_HANDLE[(sniffed?.mime ?? '').split('/')[0]!] ?? '')
      if (!mediaType) return undefined
      const probe = await probeFile(tmp, mediaType.kind)
      const key = sourceKey(handle, relative)
      const asset = assetOf(
        mediaType.kind,
        { key, url: deps.assetUrl(key), size: read.size, filename: path.posix.basename(relative) },
        probe,
      )
      if (known?.entryId) {
        // Only the asset: metadata (editors' edits included) is never overwritten by a rescan.
        await deps.library.patch(project, known.entryId, {
          patches: [{ operation: 'replaceAsset', value: asset }],
        })
        return { entryId: known.entryId, sha256: read.sha256 }
      }
      const [result] = await deps.importer.importEntries(project, mediaTypes, [
        {
          systemName: handle,
          externalId: relative,
          mediaType: mediaType.handle,
          asset,
          metadata: await tagMetadata(mediaType, tmp),
        },
      ])
      return result?.ok ? { entryId: result.entry.id, sha256: read.sha256 } : undefined
    } catch (err) {
      // A file that is no media, or an entry that can no longer take the asset (trashed, refused): skipped.
      const status = (err as { status?: unknown }).status
      if (err instanceof ProbeError || (typeof status === 'number' && status < 500)) return undefined
      throw err
    } finally {
      await rm(tmp, { force: true })
    }
  }

  const getOrFail = async (project: string, handle: string) => {
    const source = await deps.sources.get(project, handle)
    if (!source) throw new UsageError(`No source '${handle}' in project '${project}'`)
    return source
  }

  return {
    async add(project, handle, spec) {
      if (!HANDLE.test(handle))
        throw new UsageError(`A source handle must match ${HANDLE.source}: '${handle}'`)
      const record =
        spec.kind === 'disk'
          ? { kind: 'disk' as const, root: path.resolve(spec.dir), options: {} }
          : {
              kind: 's3' as const,
              root: spec.bucket,
              options: {
                prefix: spec.prefix,
                ...(spec.endpoint !== undefined ? { endpoint: spec.endpoint } : {}),
                ...(spec.region !== undefined ? { region: spec.region } : {}),
                ...(spec.forcePathStyle !== undefined ? { forcePathStyle: spec.forcePathStyle } : {}),
              },
            }
      await (await open(record)).check()
      if (!(await deps.sources.add({ project, handle, ...record }))) {
        throw new UsageError(`Project '${project}' already has a source '${handle}'`)
      }
      return getOrFail(project, handle)
    },
    list: (project) => deps.sources.list(project),
    async remove(project, handle) {
      if (!(await deps.sources.remove(project, handle))) {
        throw new UsageError(`No source '${handle}' in project '${project}'`)
      }
    },
    async scan(project, handle, options = {}) {
      const source = await getOrFail(project, handle)
      const opened = await open(source)
      const reader = options.wrap ? options.wrap(opened) : opened
      const mediaTypes = await deps.mediaTypesOf(project)
      const known = await deps.sources.objects(project, handle)
      const counts: ScanCounts = { added: 0, changed: 0, missing: 0, unchanged: 0, skipped: 0 }
      const seen = new Set<string>()
      let batch: SourceObjectRecord[] = []
      for await (const object of reader.list()) {
        seen.add(object.path)
        const before = known.get(object.path)
        if (before?.state === 'present' && before.size === object.size && before.version === object.version) {
          counts.unchanged++
          continue
        }
        const made = await ingest(project, handle, reader, object.path, before, mediaTypes)
        if (!made) counts.skipped++
        else if (before?.entryId) counts.changed++
        else counts.added++
        // A skipped file is recorded too, so that the next scan does not read it again while it is unchanged.
        batch.push({
          ...object,
          sha256: made?.sha256 ?? null,
          entryId: made?.entryId ?? null,
          state: 'present',
        })
        if (batch.length >= 500) {
          await deps.sources.saveObjects(project, handle, batch)
          batch = []
        }
      }
      for (const [p, before] of known) {
        if (seen.has(p) || before.state === 'missing') continue
        counts.missing++
        batch.push({ ...before, state: 'missing' })
      }
      await deps.sources.saveObjects(project, handle, batch)
      return counts
    },
    readerOf: (project, handle) => deps.readers.readerOf(project, handle),
  }
}
