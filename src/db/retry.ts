import type { DialectCaps } from './dialect.js'

/**
 * Runs a whole transaction again when it lost a race the database reports as retryable (a deadlock
 * between two batches that insert overlapping keys in different orders). The transaction rolled back,
 * so running it again is safe; the attempts are few and spaced with jitter.
 */
/** Transactions run again since the process started, per dialect: read by the metrics (src/metrics.ts). */
export const transientRetries: Record<DialectCaps['name'], number> = { sqlite: 0, postgres: 0 }

export async function retryTransient<T>(caps: DialectCaps, run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (err) {
      if (attempt >= attempts || !caps.isRetryable(err)) throw err
      transientRetries[caps.name]++
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt))
    }
  }
}
