import cliProgress from 'cli-progress'
import type { ImportCounts } from './checkpoint.js'

export type ProgressMode = 'bar' | 'log' | 'json'

export interface ProgressReporter {
  update(counts: ImportCounts): void
  /** A line of its own (a retry, an interruption), not mangling the bar. */
  note(message: string): void
  stop(): void
}

const done = (c: ImportCounts) => c.ok + c.alreadyPresent + c.failed

/** A terminal gets a bar; `--quiet` or a pipe gets a log line every few seconds; `--json` gets NDJSON. */
export function chooseProgressMode(options: { json?: boolean; quiet?: boolean }): ProgressMode {
  if (options.json) return 'json'
  return !options.quiet && process.stderr.isTTY ? 'bar' : 'log'
}

/**
 * Shows how an import goes. `total` counts entries (when known); the rate counts entries processed by
 * this run, so a resumed run's ETA is honest.
 */
export function createProgress(
  mode: ProgressMode,
  total: number | undefined,
  options: { intervalMs?: number; verb?: string; resumedFrom?: number } = {},
): ProgressReporter {
  const started = Date.now()
  const interval = options.intervalMs ?? (mode === 'json' ? 1000 : 5000)
  let last = 0
  const startDone = options.resumedFrom ?? 0
  const figures = (counts: ImportCounts) => {
    const processed = done(counts) - startDone
    const seconds = (Date.now() - started) / 1000
    const rate = seconds > 0 ? Math.round(processed / seconds) : 0
    return { processed, rate, seconds }
  }

  if (mode === 'bar') {
    const bar = new cliProgress.SingleBar(
      {
        format:
          total !== undefined
            ? '{bar} {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} | ok {ok} present {present} failed {failed}'
            : '{value} entries | {rate}/s | ok {ok} present {present} failed {failed}',
        etaBuffer: 50,
        hideCursor: true,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    )
    bar.start(total ?? 0, 0, { rate: 0, ok: 0, present: 0, failed: 0 })
    return {
      update(counts) {
        const { rate } = figures(counts)
        bar.update(done(counts), {
          rate,
          ok: counts.ok,
          present: counts.alreadyPresent,
          failed: counts.failed,
        })
      },
      note(message) {
        process.stderr.write(`\n${message}\n`)
      },
      stop: () => bar.stop(),
    }
  }

  let lastDone = -1
  const emit = (counts: ImportCounts, force: boolean) => {
    const now = Date.now()
    if (!force && now - last < interval) return
    if (done(counts) === lastDone) return
    last = now
    lastDone = done(counts)
    const { rate, seconds } = figures(counts)
    const remaining = total !== undefined && rate > 0 ? Math.round((total - done(counts)) / rate) : undefined
    if (mode === 'json') {
      const event = {
        type: 'progress',
        done: done(counts),
        ...(total !== undefined ? { total } : {}),
        ok: counts.ok,
        alreadyPresent: counts.alreadyPresent,
        failed: counts.failed,
        rate,
        elapsedSeconds: Math.round(seconds),
        ...(remaining !== undefined ? { etaSeconds: remaining } : {}),
      }
      process.stdout.write(`${JSON.stringify(event)}\n`)
      return
    }
    const of = total !== undefined ? `/${total}` : ''
    const eta = remaining !== undefined ? `, ETA ${remaining}s` : ''
    process.stderr.write(
      options.verb === 'dry run'
        ? `dry run: ${done(counts)} checked (valid ${counts.ok}, invalid ${counts.failed}), ${rate}/s\n`
        : `import: ${done(counts)}${of} done (ok ${counts.ok}, already present ${counts.alreadyPresent}, failed ${counts.failed}), ${rate}/s${eta}\n`,
    )
  }
  let lastCounts: ImportCounts | undefined
  return {
    update(counts) {
      lastCounts = counts
      emit(counts, false)
    },
    note(message) {
      if (mode === 'json') process.stdout.write(`${JSON.stringify({ type: 'note', message })}\n`)
      else process.stderr.write(`${message}\n`)
    },
    stop() {
      if (lastCounts) emit(lastCounts, true)
    },
  }
}
