import { AppError } from '../errors.js'
import type { MediaEntry } from './entry.js'
import type { EntryFailure } from './entry-validator.js'
import { PatchRejectedError, type PatchRequest } from './patch.service.js'

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
      if (err instanceof PatchRejectedError) outcomes.push({ ok: false, id, failure: err.failure })
      else if (err instanceof AppError && err.status < 500) outcomes.push({ ok: false, id, error: err })
      else throw err
    }
  }
  return outcomes
}
