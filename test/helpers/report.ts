import { readFileSync } from 'node:fs'
import type { ReportLine } from '../../src/cli/import/import-runner.js'

export type { ReportLine }

/**
 * The lines of a `medialib import --report` file. `afterKill`: the CLI was SIGKILLed, so its last write
 * may be torn (Linux ends a write to a regular file early, at a page boundary, once a fatal signal is
 * pending): the text after the last newline is left out, as `--resume` cuts it back to the checkpoint's
 * length (src/cli/import/checkpoint.ts). Without it, every line must be whole.
 */
export function readReport(file: string, { afterKill = false } = {}): ReportLine[] {
  let text = readFileSync(file, 'utf8')
  if (afterKill) text = text.slice(0, text.lastIndexOf('\n') + 1)
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ReportLine)
}
