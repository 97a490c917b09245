import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'

/**
 * A pass-through stream that counts and hashes (SHA-256) what flows through it: put it in a pipeline
 * between a source and its destination, then read `result()` once the pipeline has finished.
 */
export function hashingTap(): { tap: Transform; result(): { size: number; sha256: string } } {
  const hash = createHash('sha256')
  let size = 0
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk)
      size += chunk.length
      done(null, chunk)
    },
  })
  return { tap, result: () => ({ size, sha256: hash.digest('hex') }) }
}
