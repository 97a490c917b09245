import { AppError } from '../errors.js'
import type { TrashService } from './trash.service.js'

/** One id's outcome in a batch delete: in the trash, or why this id (alone) was refused. */
export type BatchDeleteOutcome = { ok: true; id: string } | { ok: false; id: string; error: AppError }

/**
 * Moves each entry to the trash as the single DELETE does (same 404 and 409 rules), one after the other in
 * request order: an id given twice is deleted once, then answered 404. A refusal is that id's outcome;
 * anything else (the database gone) fails the whole request.
 */
export async function deleteEach(
  trash: Pick<TrashService, 'delete'>,
  project: string,
  ids: readonly string[],
): Promise<BatchDeleteOutcome[]> {
  const outcomes: BatchDeleteOutcome[] = []
  for (const id of ids) {
    try {
      await trash.delete(project, id)
      outcomes.push({ ok: true, id })
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err
      outcomes.push({ ok: false, id, error: err })
    }
  }
  return outcomes
}
