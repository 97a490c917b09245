import { expect } from 'vitest'
import { AppError } from '../../src/errors.js'

/** Awaits a call that must fail with an application error (status, envelope details), and returns it. */
export async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}
