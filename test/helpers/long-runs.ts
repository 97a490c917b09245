/**
 * The long local runs (`npm run test:long`): a variable raises a test's count of runs above CI's, and the test's
 * timeout grows with it, so that a long run stops at its end and not at vitest's 30 s default.
 */

/** The count a variable asks for (`MEDIALIB_FUZZ_RUNS`, `MEDIALIB_CRASH_LOOPS`), or CI's default. */
export function runsFrom(variable: string, ciDefault: number): number {
  const raw = process.env[variable]
  if (raw === undefined || raw === '') return ciDefault
  const runs = Number(raw)
  if (!Number.isSafeInteger(runs) || runs < 1)
    throw new Error(`${variable} must be a positive integer: '${raw}'`)
  return runs
}

/** A timeout for `runs` runs of about `perRunMs` each (on a loaded machine: CI shares 2 cores), never under vitest's 30 s. */
export function scaledTimeout(runs: number, perRunMs: number): number {
  return Math.max(30_000, runs * perRunMs)
}

/** Runs per second, for the figures a long run prints. */
export function rate(runs: number, startedAt: number): string {
  const seconds = (performance.now() - startedAt) / 1000
  const pace = runs >= seconds ? `${(runs / seconds).toFixed(1)}/s` : `${(seconds / runs).toFixed(1)} s each`
  return `${pace} over ${seconds.toFixed(1)} s`
}
