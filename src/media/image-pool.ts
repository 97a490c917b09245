/**
 * The image pool: where originals are decoded, rasterised and resized (issue 13, finding 10).
 *
 * - At most `size` tasks hold a slot at once, and one project at most `perProject` of them, so one project's
 *   originals cannot take the whole pool. Waiting tasks are let in round-robin across projects.
 * - A task that has held its slot for `releaseAfterMs` gives the slot up and keeps running outside the pool
 *   (sharp's own time limit ends it): a slow original (a pathological SVG) delays the tasks behind it by at
 *   most that long. At most `size` such overdue tasks run at once; beyond that, a slow task keeps its slot.
 */
export interface ImagePool {
  run<T>(project: string, task: () => Promise<T>): Promise<T>
}

export interface ImagePoolOptions {
  size: number
  perProject: number
  releaseAfterMs: number
}

interface Waiter {
  project: string
  start(): void
}

export function createImagePool(options: ImagePoolOptions): ImagePool {
  let busy = 0
  let overdue = 0
  const heldBy = new Map<string, number>()
  /** Waiting tasks per project, and the projects in the order they are served (round-robin). */
  const waiting = new Map<string, Waiter[]>()
  const turn: string[] = []

  const held = (project: string) => heldBy.get(project) ?? 0
  const take = (project: string) => {
    busy++
    heldBy.set(project, held(project) + 1)
  }
  const give = (project: string) => {
    busy--
    const left = held(project) - 1
    if (left > 0) heldBy.set(project, left)
    else heldBy.delete(project)
  }

  const dispatch = () => {
    while (busy < options.size) {
      const index = turn.findIndex((p) => held(p) < options.perProject)
      if (index < 0) return
      const project = turn.splice(index, 1)[0]!
      const queue = waiting.get(project)!
      const next = queue.shift()!
      if (queue.length > 0) turn.push(project)
      else waiting.delete(project)
      take(project)
      next.start()
    }
  }

  return {
    async run(project, task) {
      if (busy < options.size && held(project) < options.perProject && !waiting.has(project)) {
        take(project)
      } else {
        await new Promise<void>((start) => {
          const queue = waiting.get(project)
          if (queue) queue.push({ project, start })
          else {
            waiting.set(project, [{ project, start }])
            turn.push(project)
          }
        })
      }
      let holding = true
      let late = false
      const timer = setTimeout(() => {
        if (overdue >= options.size) return
        holding = false
        late = true
        overdue++
        give(project)
        dispatch()
      }, options.releaseAfterMs)
      try {
        return await task()
      } finally {
        clearTimeout(timer)
        if (late) overdue--
        if (holding) give(project)
        dispatch()
      }
    },
  }
}
