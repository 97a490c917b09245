/** A counting semaphore: at most `size` jobs at once, the others run in the order they were given. */
export function semaphore(size: number): <T>(job: () => Promise<T>) => Promise<T> {
  let free = size
  const waiting: (() => void)[] = []
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (free > 0) free--
    else await new Promise<void>((resolve) => waiting.push(resolve))
    try {
      return await job()
    } finally {
      // A finished job hands its place to the next waiting one, so that the count never passes the size.
      const next = waiting.shift()
      if (next) next()
      else free++
    }
  }
}
