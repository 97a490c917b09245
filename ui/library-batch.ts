// A batch over the library's selection (split from library.tsx): every matching entry or the selected loaded
// ones, sent in chunks with progress, then a summary of what was done and what failed.
import { useState } from 'preact/hooks'
import { API, ApiError, messageOf } from './api.js'
import type { Entry, Patch, Session } from './api-types.js'
import type { DoneSummary, Progress } from './batch.js'
import { collectTargets, sendBatch } from './batch-requests.js'
import type { Summary, Target } from './batch-model.js'
import { type Filters, searchQuery } from './library-query.js'

/** What a finished batch says it did. */
const DONE_VERBS: Record<string, string> = {
  Archiving: 'Archived',
  Saving: 'Saved',
  Revoking: 'Revoked',
  'Un-revoking': 'Un-revoked',
  'Un-archiving': 'Un-archived',
  'Moving to the trash': 'Moved to the trash',
}

/** A refusal's details as one line ("field reason; …"), or the error's message. */
export function errorText(err: unknown): string {
  const details = err instanceof ApiError ? err.body?.error_details : undefined
  if (details && typeof details === 'object') {
    return Object.entries(details)
      .map(([k, v]) => (k === 'message' ? String(v) : `${k} ${String(v)}`))
      .join('; ')
  }
  return messageOf(err)
}

export interface SelectionRunOptions {
  session: Session
  filters: Filters
  /** Every entry matching the filters is the target, not only the selected loaded ones. */
  allMatching: boolean
  /** The search's count, when known (the progress's total while matching entries are collected). */
  expected: number | undefined
  selectedEntries: Entry[]
  /** After the batch, done or failed: the selection cleared and the grid loaded again. */
  after: () => void
}

/** Runs batches over the selection: their progress while running, the summary of the last one. */
export function useSelectionRun(options: SelectionRunOptions) {
  const [progress, setProgress] = useState<Progress | null>(null)
  const [summary, setSummary] = useState<DoneSummary | null>(null)
  const { session, filters, allMatching, expected = 0, selectedEntries, after } = options

  /** Runs `send` over the selection (every matching entry, or the selected loaded ones), with progress. */
  const runOnSelection = async (
    verb: string,
    send: (targets: Target[], onProgress: (done: number) => void) => Promise<Summary>,
  ) => {
    setSummary(null)
    let targets: Target[]
    try {
      if (allMatching) {
        setProgress({ verb: 'Finding the matching entries', done: 0, total: expected })
        targets = await collectTargets(
          `${API}/mediaLibrary${searchQuery(filters, undefined, '')}`,
          (n) => setProgress({ verb: 'Finding the matching entries', done: n, total: Math.max(n, expected) }),
          session.limits,
        )
      } else {
        targets = selectedEntries.map((e) => ({ id: e.id, version: e.version }))
      }
      setProgress({ verb, done: 0, total: targets.length })
      const all = targets
      const result = await send(all, (done) => setProgress({ verb, done, total: all.length }))
      setSummary({ verb: DONE_VERBS[verb] ?? verb, ...result })
    } catch (err) {
      setSummary({
        verb: DONE_VERBS[verb] ?? verb,
        saved: 0,
        failed: [
          { id: '(search)', status: err instanceof ApiError ? err.status : 0, reason: errorText(err) },
        ],
      })
    } finally {
      setProgress(null)
    }
    after()
  }
  const runBatch = (verb: string, patches: Patch[]) =>
    runOnSelection(verb, (targets, onProgress) => sendBatch(targets, patches, onProgress, session.limits))

  return { progress, summary, runOnSelection, runBatch }
}
