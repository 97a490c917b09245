/**
 * Runs the load generator (bench/import-load.ts) as a separate Node process, bounded in time.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { LoadJob, LoadMessage, LoadSlice } from './import-load.js'

const LOADER = fileURLToPath(new URL('./import-load.js', import.meta.url))

/** Posts the job's entries and resolves with entries per second; rejects on any failure or timeout. */
export function forkLoad(
  job: LoadJob,
  timeoutMs: number,
  onSlice: (slice: LoadSlice) => void = () => undefined,
): Promise<{ entries: number; seconds: number }> {
  const child = fork(LOADER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (err: Error | undefined, value?: { entries: number; seconds: number }) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      if (err) reject(err)
      else resolve(value!)
    }
    const timer = setTimeout(
      () => finish(new Error(`load did not finish within ${timeoutMs / 1000} s`)),
      timeoutMs,
    )
    child.on('message', (m: LoadMessage) => {
      if ('slice' in m) onSlice(m.slice)
      else if ('done' in m) finish(undefined, m.done)
      else finish(new Error(`load failed: ${m.error}`))
    })
    child.once('exit', (code) => finish(new Error(`load generator exited with ${code} before finishing`)))
    child.send(job)
  })
}
