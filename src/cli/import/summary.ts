import type { ImportCounts } from './checkpoint.js'

/** The closing table of an import (or a dry run): totals, failures by error name, duration and rate. */
export function summaryRows(
  counts: ImportCounts,
  processedThisRun: number,
  seconds: number,
  dryRun = false,
): [string, string][] {
  const rows: [string, string][] = [
    [dryRun ? 'valid' : 'ok', String(counts.ok)],
    ...(dryRun ? [] : [['already present', String(counts.alreadyPresent)] as [string, string]]),
    [dryRun ? 'invalid' : 'failed', String(counts.failed)],
  ]
  for (const [name, n] of Object.entries(counts.failedBy).sort((a, b) => b[1] - a[1]))
    rows.push([`  ${name}`, String(n)])
  rows.push(['duration', `${seconds.toFixed(1)} s`])
  rows.push(['rate', `${seconds > 0 ? Math.round(processedThisRun / seconds) : processedThisRun} entries/s`])
  return rows
}

export function formatSummary(rows: [string, string][]): string {
  const left = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(left)}  ${v}`).join('\n') + '\n'
}
