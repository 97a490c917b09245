import {
  closeSync,
  existsSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { UsageError } from '../../errors.js'

/** Totals of a run; the checkpoint carries them so that a resumed run reports the whole import. */
export interface ImportCounts {
  ok: number
  alreadyPresent: number
  failed: number
  /** Failed entries by error name (`ValidationError`, `UniqueIdViolation`, `InvalidJson`, …). */
  failedBy: Record<string, number>
}

export function emptyCounts(): ImportCounts {
  return { ok: 0, alreadyPresent: 0, failed: 0, failedBy: {} }
}

interface CheckpointFile {
  format: 'medialib-import-checkpoint/1'
  input: string
  /** Every entry index below this one is acknowledged. */
  doneBelow: number
  /** Acknowledged index ranges [from, to) above doneBelow (batches finish out of order). */
  doneRanges: [number, number][]
  /** Length of the report that belongs to the acknowledged entries; a resumed run cuts the rest. */
  reportBytes: number
  counts: ImportCounts
}

export function checkpointPathOf(reportFile: string): string {
  return `${reportFile}.checkpoint`
}

/**
 * The report (one NDJSON line per entry) and its checkpoint, kept in step: a batch's lines are written
 * first, then the checkpoint (written to a side file and renamed, so it is whole or old) records the
 * batch's entries and the report's new length. After a crash, `--resume` cuts the report back to that
 * length and skips the recorded entries, so each entry ends up in the report exactly once.
 */
export class ReportWithCheckpoint {
  private readonly done = new Set<number>()
  private doneBelow = 0
  private reportBytes = 0
  private readonly fd: number
  readonly counts: ImportCounts
  /** Entries acknowledged by an earlier run (0 on a fresh start). */
  readonly resumedFrom: number

  constructor(
    private readonly reportFile: string,
    private readonly input: string,
    resume: boolean,
  ) {
    const checkpointFile = checkpointPathOf(reportFile)
    let saved: CheckpointFile | undefined
    if (resume && existsSync(checkpointFile)) {
      saved = JSON.parse(readFileSync(checkpointFile, 'utf8')) as CheckpointFile
      if (saved.format !== 'medialib-import-checkpoint/1') {
        throw new UsageError(`${checkpointFile} is not a medialib import checkpoint`)
      }
      if (saved.input !== input) {
        throw new UsageError(`${checkpointFile} belongs to the input ${saved.input}, not ${input}`)
      }
    }
    if (saved) {
      this.doneBelow = saved.doneBelow
      for (const [from, to] of saved.doneRanges) for (let i = from; i < to; i++) this.done.add(i)
      this.reportBytes = saved.reportBytes
      this.counts = saved.counts
      this.fd = openSync(reportFile, existsSync(reportFile) ? 'r+' : 'w')
      ftruncateSync(this.fd, this.reportBytes)
    } else {
      rmSync(checkpointFile, { force: true })
      this.counts = emptyCounts()
      this.fd = openSync(reportFile, 'w')
    }
    this.resumedFrom = this.doneBelow + this.done.size
  }

  isDone(index: number): boolean {
    return index < this.doneBelow || this.done.has(index)
  }

  /** Appends a batch's report lines, then records its entries as acknowledged. */
  commit(indices: readonly number[], lines: readonly string[]): void {
    if (lines.length > 0) {
      // writeSync may write less than asked: the checkpoint below must never count lines not on disk.
      const bytes = Buffer.from(`${lines.join('\n')}\n`, 'utf8')
      for (let written = 0; written < bytes.length;) {
        written += writeSync(this.fd, bytes, written, bytes.length - written, this.reportBytes + written)
      }
      this.reportBytes += bytes.length
    }
    for (const i of indices) this.done.add(i)
    while (this.done.delete(this.doneBelow)) this.doneBelow++
    this.save()
  }

  private save(): void {
    const sorted = [...this.done].sort((a, b) => a - b)
    const ranges: [number, number][] = []
    for (const i of sorted) {
      const last = ranges[ranges.length - 1]
      if (last && last[1] === i) last[1] = i + 1
      else ranges.push([i, i + 1])
    }
    const file: CheckpointFile = {
      format: 'medialib-import-checkpoint/1',
      input: this.input,
      doneBelow: this.doneBelow,
      doneRanges: ranges,
      reportBytes: this.reportBytes,
      counts: this.counts,
    }
    const target = checkpointPathOf(this.reportFile)
    writeFileSync(`${target}.tmp`, JSON.stringify(file))
    renameSync(`${target}.tmp`, target)
  }

  close(): void {
    closeSync(this.fd)
  }
}
