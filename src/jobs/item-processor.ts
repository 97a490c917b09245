// One item's pipeline (fetch, probe, store, create or update the entry) with the cleanup each step owes
// the next on failure. The temp directory's layout and sweep are in tmp-dir.ts.
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { JobQueueRepository } from '../db/job-queue.repository.js'
import type { MediaEntryRepository } from '../db/media-entry.repository.js'
import type { MediaEntry, MediaKind } from '../media/entry.js'
import type { ImportResult, ImportService } from '../media/import.service.js'
import type { LibraryService } from '../media/library.service.js'
import type { CompiledMediaType } from '../media/media-types/metadata-validator.js'
import type { Patch } from '../media/patch.service.js'
import { newBlobKey } from '../storage/blob-store.js'
import type { ProjectStorage } from '../storage/project-storage.js'
import {
  mimeAllowed,
  restrictionsOf,
  tooLarge,
  typeRefused,
} from '../media/media-types/upload-restrictions.js'
import { assetOf, tagMetadata } from '../media/upload/ingest.js'
import { groupCommit } from './group-commit.js'
import { probeBytes, probeFile, ProbeError } from './probe.js'
import { FetchError, type SafeFetcher } from './safe-fetcher.js'
import type { ImportItem, ImportJob, ItemOutcome } from './import-job.js'
import { processTmpDir } from './tmp-dir.js'
import { describeFailure, fileNameOf, isClientError, ItemFailure, presentResult } from './item-outcome.js'

/**
 * A download up to this size is held in memory: probed, read for tags and stored from the buffer, with no
 * temporary file (at worker concurrency 16, at most 8 MiB held). A larger one streams to a temporary file.
 */
const HOLD_BYTES = 512 * 1024

export const KIND_OF_JOB = { images: 'mediaImage', videos: 'mediaVideo', files: 'mediaFile' } as const
const DEFAULT_HANDLE = { images: 'image', videos: 'video', files: 'file' } as const
const SIZE_LIMIT = { images: 'image', videos: 'video', files: 'file' } as const

export interface ItemProcessorDeps {
  queue: Pick<JobQueueRepository, 'setBlobKey' | 'setBlobKeys'>
  /** The SHA-256 of each entry's last download (an unchanged file is skipped). */
  contentHashes: Pick<MediaEntryRepository, 'getContentSha' | 'setContentSha'>
  fetcher: SafeFetcher
  /** Blobs are written to the job's project namespace. */
  blobs: ProjectStorage
  importer: ImportService
  library: LibraryService
  mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  maxBytes: { image: number; video: number; file: number }
  /** Where downloads wait while they are probed (under the data directory). */
  tmpDir: string
  /** `asset.url` for a key: the public base URL and the serve-image path. */
  assetUrl(key: string): string
  maxRetries: number
  retryBaseMs: number
  /** Where the detail a reason leaves out (resolved addresses, resolver codes) is written. */
  logger?: { info(o: object, m: string): void }
  now?: () => Date
}

/** A new entry waiting for its batch's import. */
interface Creation {
  project: string
  mediaTypes: ReadonlyMap<string, CompiledMediaType>
  sha256: string
  input: Record<string, unknown>
}

/** Turns a claimed item into its outcome: fetch, probe, store, create or update the entry. */
export type ItemProcessor = (job: ImportJob, item: ImportItem, worker: string) => Promise<ItemOutcome>

export function createItemProcessor(deps: ItemProcessorDeps): ItemProcessor {
  const now = deps.now ?? (() => new Date())
  const { queue, contentHashes } = deps
  let tmpReady: Promise<unknown> | undefined

  // Items that reach the same step at nearly the same time share its transaction (group commit): the
  // blob keys recorded before their blobs are stored, and the new entries with their content hashes.
  const blobKeys = groupCommit(
    async (rows: readonly { item: ImportItem; worker: string; key: string | null }[]) => {
      await queue.setBlobKeys(rows)
      return rows.map(() => undefined)
    },
  )
  // The entry an item may already have (by its externalId): the lookups of the items that start together
  // are one query per job system (on PostgreSQL one round trip instead of one per item).
  const existingEntries = groupCommit(
    async (rows: readonly { project: string; systemName: string; externalId: string }[]) => {
      const found = new Map<string, MediaEntry>()
      const keyOf = (project: string, systemName: string, externalId: string) =>
        `${project}\u0000${systemName}\u0000${externalId}`
      const groups = new Map<string, { project: string; systemName: string; externalIds: string[] }>()
      for (const r of rows) {
        const group = `${r.project}\u0000${r.systemName}`
        const g = groups.get(group) ?? { project: r.project, systemName: r.systemName, externalIds: [] }
        g.externalIds.push(r.externalId)
        groups.set(group, g)
      }
      for (const { project, systemName, externalIds } of groups.values()) {
        for (const entry of await deps.library.listByExternalIds(project, systemName, externalIds)) {
          found.set(keyOf(project, systemName, entry.externalId as string), entry)
        }
      }
      return rows.map((r) => found.get(keyOf(r.project, r.systemName, r.externalId)))
    },
  )
  const creations = groupCommit(async (rows: readonly Creation[]) => {
    const results: ImportResult[] = new Array(rows.length)
    const byProject = new Map<string, number[]>()
    rows.forEach((r, i) => byProject.set(r.project, [...(byProject.get(r.project) ?? []), i]))
    for (const [project, indexes] of byProject) {
      const first = rows[indexes[0]!]!
      const imported = await deps.importer.importEntries(
        project,
        first.mediaTypes,
        indexes.map((i) => rows[i]!.input),
        // Written in the entries' own insert: one commit per group, not a second one for the hashes.
        { contentSha256: indexes.map((i) => rows[i]!.sha256) },
      )
      imported.forEach((result, n) => {
        results[indexes[n]!] = result
      })
    }
    return results
  })

  const attempt = async (job: ImportJob, item: ImportItem, worker: string): Promise<ItemOutcome> => {
    const blobs = deps.blobs.files(job.project)
    const kind: MediaKind = KIND_OF_JOB[job.kind]
    const mediaTypes = await deps.mediaTypesOf(job.project)
    const handle = item.mediaType ?? DEFAULT_HANDLE[job.kind]
    const mediaType = mediaTypes.get(handle)
    if (!mediaType || mediaType.kind !== kind) {
      throw new ItemFailure(`unknown media type '${handle}' for ${job.kind} (it must be a ${kind})`)
    }
    // An entry a dead attempt of this item created has this item's externalId, so this lookup finds it too.
    // A first attempt of an item whose externalId no entry had at queue time skips it: should a writer have
    // created one since, the insert fails on the unique key and the retry (a later attempt) looks.
    const knownNew = item.absentAtQueue === true && item.attempts <= 1 && item.blobKey === undefined
    const existing = knownNew
      ? undefined
      : await existingEntries.add({
          project: job.project,
          systemName: job.systemName,
          externalId: item.externalId,
        })

    // A previous attempt of this item that died: its entry already holds the blob → that attempt succeeded.
    if (existing && item.blobKey && existing.asset.key === item.blobKey) {
      return { state: 'success', result: presentResult(job.kind, existing, item.url) }
    }
    // …or it stored a blob that no entry took: remove it before storing anew.
    if (item.blobKey) {
      await blobs.delete(item.blobKey)
      await queue.setBlobKey(item, worker, null)
    }

    const ownDir = processTmpDir(deps.tmpDir)
    tmpReady ??= mkdir(ownDir, { recursive: true })
    await tmpReady
    const tmp = path.join(ownDir, `${randomUUID()}.download`)
    let written = true
    try {
      const restrictions = restrictionsOf(mediaType.config)
      const limit = Math.min(deps.maxBytes[SIZE_LIMIT[job.kind]], restrictions.maxBytes)
      const download = await deps.fetcher
        .downloadToFile(item.url, tmp, limit, HOLD_BYTES)
        .catch((err: unknown) => {
          // Past the media type's own limit (below the fetcher's), the refusal names the restriction.
          if (
            err instanceof FetchError &&
            err.message.startsWith('too large') &&
            limit === restrictions.maxBytes
          ) {
            throw new ItemFailure(tooLarge(handle, restrictions).message)
          }
          throw err
        })
      const { whole } = download
      written = !whole
      const probe = whole ? await probeBytes(whole, kind) : await probeFile(tmp, kind)
      if (!mimeAllowed(probe.mimeType, restrictions)) {
        throw new ItemFailure(typeRefused(handle, probe.mimeType, restrictions).message)
      }
      if (existing && (await contentHashes.getContentSha(job.project, existing.id)) === download.sha256) {
        return {
          state: 'skipped',
          reason: 'already exists',
          result: presentResult(job.kind, existing, item.url),
        }
      }
      // Read before the blob is stored: a disk store moves the downloaded file in (below).
      const metadata = await metadataFor(item, mediaType, whole ?? tmp)
      const key = newBlobKey(probe.extension, now())
      await blobKeys.add({ item, worker, key })
      try {
        if (whole && blobs.putBytes) await blobs.putBytes(key, whole, { contentType: probe.mimeType })
        else if (whole) await blobs.put(key, Readable.from([whole]), { contentType: probe.mimeType })
        // A disk store takes the downloaded file as it is (flushed, then renamed into place: no copy).
        else if (blobs.putFile) await blobs.putFile(key, tmp, { contentType: probe.mimeType })
        else await blobs.put(key, createReadStream(tmp), { contentType: probe.mimeType })
      } catch (err) {
        // A put that failed late (S3 stored it, the answer was lost) may have left the blob: remove it now;
        // if that fails too, the recorded key lets the next attempt remove it.
        await blobs
          .delete(key)
          .then(() => queue.setBlobKey(item, worker, null))
          .catch(() => undefined)
        throw new ItemFailure(
          `storing the blob failed: ${err instanceof Error ? err.message : String(err)}`,
          true,
        )
      }
      const asset = assetOf(
        kind,
        {
          key,
          url: deps.assetUrl(key),
          size: download.size,
          filename: fileNameOf(download.finalUrl, item, probe.extension),
        },
        probe,
      )

      try {
        let entry: MediaEntry
        if (existing) {
          const patches: Patch[] = [{ operation: 'replaceAsset', value: asset }]
          for (const [propertyName, value] of Object.entries(metadata)) {
            patches.push({ operation: 'setMetadataProperty', propertyName, value })
          }
          entry = await deps.library.patch(job.project, existing.id, { patches })
          await contentHashes.setContentSha(job.project, entry.id, download.sha256).catch(() => undefined)
        } else {
          // Imported together with the entries of the items that get here at the same time (one transaction).
          const result = await creations.add({
            project: job.project,
            mediaTypes,
            sha256: download.sha256,
            input: {
              id: item.entryId,
              mediaType: handle,
              systemName: job.systemName,
              externalId: item.externalId,
              asset,
              metadata,
            },
          })
          if (!result.ok) {
            // Another item or writer took the externalId meanwhile: the next attempt sees it and updates or skips.
            const racing = (result as { failure?: { kind?: string } } | undefined)?.failure?.kind === 'unique'
            throw new ItemFailure(describeFailure(result), racing)
          }
          entry = result.entry
        }
        return { state: 'success', result: presentResult(job.kind, entry, item.url) }
      } catch (err) {
        await blobs.delete(key).catch(() => undefined)
        await queue.setBlobKey(item, worker, null)
        throw err
      }
    } finally {
      if (written) await rm(tmp, { force: true })
    }
  }

  /** Request metadata wins over the title from `fileName`, which wins over EXIF/IPTC/XMP mappings. */
  const metadataFor = async (item: ImportItem, mediaType: CompiledMediaType, file: string | Buffer) => {
    const fromTags = await tagMetadata(mediaType, file)
    const title: Record<string, unknown> = {}
    if (item.fileName && mediaType.config.metadata.some((p) => p.handle === 'title'))
      title.title = item.fileName
    return { ...fromTags, ...title, ...(item.metadata ?? {}) }
  }

  return async (job, item, worker) => {
    try {
      return await attempt(job, item, worker)
    } catch (err) {
      const transient =
        err instanceof FetchError || err instanceof ItemFailure
          ? err.transient
          : !(err instanceof ProbeError) && !isClientError(err)
      const reason = err instanceof Error ? err.message : String(err)
      if (err instanceof FetchError && err.detail !== undefined) {
        deps.logger?.info({ job: job.id, item: item.idx, url: item.url, detail: err.detail }, reason)
      }
      if (transient && item.attempts <= deps.maxRetries) {
        return {
          state: 'retry',
          reason,
          at: new Date(now().getTime() + deps.retryBaseMs * 2 ** (item.attempts - 1)),
        }
      }
      return { state: 'failed', reason }
    }
  }
}
