/**
 * A loop's sleep that others can cut short. `poke` wakes a sleeping loop at once; poked while the loop is
 * still inside a tick (an item can finish, or a job be queued, before the loop goes to sleep), it makes the
 * next sleep return at once instead of waiting a poll.
 */
export function wakeableSleep(): { poke(): void; sleep(ms: number): Promise<void> } {
  let wake: (() => void) | undefined
  let wakePending = false
  return {
    poke() {
      if (wake) wake()
      else wakePending = true
    },
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        if (wakePending) {
          wakePending = false
          resolve()
          return
        }
        const timer = setTimeout(done, ms)
        function done() {
          clearTimeout(timer)
          wake = undefined
          resolve()
        }
        wake = done
      }),
  }
}
