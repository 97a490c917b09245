/**
 * Group commit: callers add one request each and wait for its answer; the requests that arrive while a
 * write is in progress (or in the same turn of the event loop) are written together by the next one. A
 * lone request is written at once (no timer, no added latency); under load, batches form by themselves, so
 * 16 items finishing at nearly the same time cost one transaction instead of 16.
 *
 * `write` answers the requests in their order. When it throws, every request of that batch is rejected
 * with the error (and the next batch is tried on its own).
 */
export interface GroupCommit<T, R> {
  add(request: T): Promise<R>
}

export function groupCommit<T, R>(write: (batch: readonly T[]) => Promise<readonly R[]>): GroupCommit<T, R> {
  let waiting: { request: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = []
  let writing = false

  const run = async () => {
    writing = true
    try {
      while (waiting.length > 0) {
        const batch = waiting
        waiting = []
        try {
          const answers = await write(batch.map((w) => w.request))
          batch.forEach((w, i) => w.resolve(answers[i] as R))
        } catch (err) {
          for (const w of batch) w.reject(err)
        }
      }
    } finally {
      writing = false
    }
  }

  return {
    add(request) {
      return new Promise<R>((resolve, reject) => {
        waiting.push({ request, resolve, reject })
        // Requests added in the same turn join this batch: the write starts on the next turn.
        if (!writing && waiting.length === 1) setImmediate(() => void run())
      })
    },
  }
}
