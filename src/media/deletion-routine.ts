import type { EntryState } from './entry.js'

/**
 * A media type's deletion routine (issue #16): the worker moves to the trash, on a schedule, the entries of
 * the type created more than `olderThanDays` ago that are unused (no usage-log entry), not protected
 * (stored in archive), and in `state` when given.
 */
export interface DeletionRoutine {
  olderThanDays: number
  used: false
  state?: EntryState
}

const KEYS = ['olderThanDays', 'used', 'state']
const STATES: readonly EntryState[] = ['active', 'revoked', 'archived']

/** Checks a media type's `deletionRoutine`; the problems, or the routine. */
export function checkDeletionRoutine(
  raw: unknown,
  where: string,
): { problems: string[]; routine?: DeletionRoutine } {
  if (raw === undefined) return { problems: [] }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { problems: [`${where}.deletionRoutine must be an object {olderThanDays, used: false, state?}`] }
  }
  const value = raw as Record<string, unknown>
  const problems = Object.keys(value)
    .filter((k) => !KEYS.includes(k))
    .map((k) => `${where}.deletionRoutine has the unknown key '${k}' (known keys: ${KEYS.join(', ')})`)
  const days = value.olderThanDays
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 36_500) {
    problems.push(`${where}.deletionRoutine.olderThanDays must be a whole number from 1 to 36500`)
  }
  if (value.used !== false) {
    problems.push(`${where}.deletionRoutine.used must be false: only unused entries are ever deleted`)
  }
  if (value.state !== undefined && !STATES.includes(value.state as EntryState)) {
    problems.push(`${where}.deletionRoutine.state must be one of ${STATES.join(', ')}`)
  }
  if (problems.length > 0) return { problems }
  const routine: DeletionRoutine = { olderThanDays: days as number, used: false }
  if (value.state !== undefined) routine.state = value.state as EntryState
  return { problems, routine }
}
