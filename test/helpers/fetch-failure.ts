import { expect } from 'vitest'
import { FetchError } from '../../src/jobs/safe-fetcher.js'

/** Awaits a fetch that must fail, asserts it failed with a FetchError, and returns that error. */
export async function fetchFailure(p: Promise<unknown>): Promise<FetchError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(FetchError)
  return err as FetchError
}
