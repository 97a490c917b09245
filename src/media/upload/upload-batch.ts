// The files of one multipart request (`UploadService.batch`): each received as its bytes arrive, new entries
// stored together (their files made durable in parallel, one import), replacements and duplicates in the
// request's order. Split from upload.service.ts.
import { rm } from 'node:fs/promises'
import { ProbeError } from '../../jobs/probe.js'
import type { MediaEntry } from '../entry.js'
import { correlationOf } from '../import.service.js'
import { PatchRejectedError, type Patch } from '../patch.service.js'
import { Refusal, validation, type ReceivedFile, type Receiver } from './upload-receiver.js'
import type {
  UploadBatch,
  UploadFailure,
  UploadRequest,
  UploadResult,
  UploadServiceDeps,
} from './upload.service.js'

/** New entries of a batch stored together at most (a multipart request has `upload.maxFilesPerRequest`). */
const STORE_TOGETHER = 64

export function createUploadBatch(project: string, deps: UploadServiceDeps, receiver: Receiver): UploadBatch {
  const { receive, unhold, put } = receiver
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
      const tmp = await receiver.tmpFile()
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
