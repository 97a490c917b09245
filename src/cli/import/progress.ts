import cliProgress from 'cli-progress'
import type { ImportCounts } from './checkpoint.js'

export type ProgressMode = 'bar' | 'log' | 'json'

/** Bytes sent so far (`import --files`). */
export interface SentBytes {
  bytesSent: number
}

export interface ProgressReporter {
  update(counts: ImportCounts, sent?: SentBytes): void
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
  options: { intervalMs?: number; verb?: string; resumedFrom?: number; files?: boolean } = {},
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
  const mbOf = (sent: SentBytes | undefined) => (sent?.bytesSent ?? 0) / 1024 / 1024
  const mbps = (sent: SentBytes | undefined) => {
    const seconds = (Date.now() - started) / 1000
    return seconds > 0 ? (mbOf(sent) / seconds).toFixed(1) : '0.0'
  }
  const bytesPart = options.files ? ' | {sent} MB sent, {mbps} MB/s' : ''

  if (mode === 'bar') {
    const bar = new cliProgress.SingleBar(
      {
        format:
          total !== undefined
            ? `{bar} {percentage}% | {value}/{total} | {rate}/s${bytesPart} | ETA {eta_formatted} | ok {ok} present {present} failed {failed}`
            : `{value} entries | {rate}/s${bytesPart} | ok {ok} present {present} failed {failed}`,
        etaBuffer: 50,
        hideCursor: true,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    )
    bar.start(total ?? 0, 0, { rate: 0, ok: 0, present: 0, failed: 0, sent: '0.0', mbps: '0.0' })
    return {
      update(counts, sent) {
        const { rate } = figures(counts)
        bar.update(done(counts), {
          rate,
          sent: mbOf(sent).toFixed(1),
          mbps: mbps(sent),
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
  let lastSent: SentBytes | undefined
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
        ...(options.files ? { bytesSent: lastSent?.bytesSent ?? 0 } : {}),
        elapsedSeconds: Math.round(seconds),
        ...(remaining !== undefined ? { etaSeconds: remaining } : {}),
      }
      process.stdout.write(`${JSON.stringify(event)}\n`)
      return
    }
    const of = total !== undefined ? `/${total}` : ''
    const eta = remaining !== undefined ? `, ETA ${remaining}s` : ''
    const sentText = options.files ? `, ${mbOf(lastSent).toFixed(1)} MB sent (${mbps(lastSent)} MB/s)` : ''
    process.stderr.write(
      options.verb === 'dry run'
        ? `dry run: ${done(counts)} checked (valid ${counts.ok}, invalid ${counts.failed}), ${rate}/s\n`
        : `import: ${done(counts)}${of} done (ok ${counts.ok}, already present ${counts.alreadyPresent}, failed ${counts.failed}), ${rate}/s${sentText}${eta}\n`,
    )
  }
  let lastCounts: ImportCounts | undefined
  return {
    update(counts, sent) {
      lastCounts = counts
      if (sent) lastSent = sent
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
