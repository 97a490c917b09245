import type { MediaEntryRepository } from '../db/media-entry.repository.js'
import { AppError, entryNotFound } from '../errors.js'
import type { MediaEntry } from './entry.js'
import type { EntryFailure, EntryValidator } from './entry-validator.js'
import type { CompiledMediaType } from './media-types/metadata-validator.js'
import {
  PatchRejectedError,
  patchedEntry,
  type PATCH_OPERATIONS,
  type PatchRequest,
} from './patch.service.js'

/** One entry's outcome in a batch PATCH: the stored result, or why this entry (alone) was refused. */
export type BatchPatchOutcome =
  | { ok: true; id: string; entry: MediaEntry }
  | { ok: false; id: string; failure: EntryFailure }
  | { ok: false; id: string; error: AppError }

export interface BatchPatchItem {
  id: string
  /** The request, or the error that turning the raw entry into one raised (e.g. a missing propertyName). */
  request: PatchRequest | AppError
}

export interface BatchPatchDeps {
  entries: MediaEntryRepository
  validator: EntryValidator
  mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  /** The single-entry PATCH (read, check, guarded write, retried): the path when the fast one cannot run. */
  patch(project: string, id: string, request: PatchRequest): Promise<MediaEntry>
  now?: () => Date
}

/** Ids per read of the stored entries (well under both databases' parameter limits). */
const READ_CHUNK = 500

/**
 * The operations the fast path knows to be plain row updates, listed on purpose (not PATCH_OPERATIONS): an
 * operation added later (e.g. delete, usage log) sends the batch one by one through the single PATCH until
 * the fast path is taught it.
 */
const ROW_UPDATES = new Set<string>([
  'setMetadataProperty',
  'replaceAsset',
  'removeAsset',
  'revokeAsset',
  'unrevokeAsset',
  'archive',
  'unarchive',
] satisfies (typeof PATCH_OPERATIONS)[number][])

function outcomeOfError(id: string, err: unknown): BatchPatchOutcome {
  if (err instanceof PatchRejectedError) return { ok: false, id, failure: err.failure }
  if (err instanceof AppError && err.status < 500) return { ok: false, id, error: err }
  throw err
}

/**
 * Applies each item's patches through `patch` (atomic and version-checked per entry), one after the
 * other in request order, so that two items for the same entry see each other's result. An item's
 * refusal (AppError) becomes its outcome; anything else (the database gone) fails the whole batch.
 */
export async function patchEach(
  items: readonly BatchPatchItem[],
  patch: (id: string, request: PatchRequest) => Promise<MediaEntry>,
): Promise<BatchPatchOutcome[]> {
  const outcomes: BatchPatchOutcome[] = []
  for (const { id, request } of items) {
    if (request instanceof AppError) {
      outcomes.push({ ok: false, id, error: request })
      continue
    }
    try {
      outcomes.push({ ok: true, id, entry: await patch(id, request) })
    } catch (err) {
      outcomes.push(outcomeOfError(id, err))
    }
  }
  return outcomes
}

/**
 * A batch PATCH with the same outcomes as `patchEach`, in a few statements: the stored entries are read
 * in chunks, every item is applied in memory in request order (an entry's later items see its earlier
 * results), and the accepted ones are written in one transaction, each guarded by the version it was
 * derived from. Should another writer move any of those entries meanwhile, nothing of the transaction
 * is kept and the batch runs again one entry at a time (each then read, checked and written afresh).
 */
export async function patchMany(
  deps: BatchPatchDeps,
  project: string,
  items: readonly BatchPatchItem[],
): Promise<BatchPatchOutcome[]> {
  const requests = items.flatMap((i) => (i.request instanceof AppError ? [] : [i.request]))
  if (requests.some((r) => r.patches.some((p) => !ROW_UPDATES.has(p.operation)))) {
    return patchEach(items, (id, request) => deps.patch(project, id, request))
  }
  const ids = [...new Set(items.map((i) => i.id))]
  const current = new Map<string, MediaEntry>()
  for (let i = 0; i < ids.length; i += READ_CHUNK) {
    for (const entry of await deps.entries.listByIds(project, ids.slice(i, i + READ_CHUNK))) {
      current.set(entry.id, entry)
    }
  }
  const mediaTypes = await deps.mediaTypesOf(project)
  const at = (deps.now ?? (() => new Date()))()
  const writes: { entry: MediaEntry; expectedVersion: number }[] = []
  const outcomes = items.map(({ id, request }): BatchPatchOutcome => {
    if (request instanceof AppError) return { ok: false, id, error: request }
    const stored = current.get(id)
    if (!stored) {
      const error = entryNotFound(id)
      return { ok: false, id, error }
    }
    try {
      const next = patchedEntry(stored, request, { validator: deps.validator, mediaTypes, at })
      writes.push({ entry: next, expectedVersion: stored.version })
      current.set(id, next)
      return { ok: true, id, entry: next }
    } catch (err) {
      return outcomeOfError(id, err)
    }
  })
  if (await deps.entries.updateAllIfVersion(project, writes)) return outcomes
  return patchEach(items, (id, request) => deps.patch(project, id, request))
}
