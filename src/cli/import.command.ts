// `medialib import`: its options and the run; the work is in src/cli/import/, the API client's options in
// client-options.ts.
import { Command, Option } from 'commander'
import { ApiError, ConnectionError } from '../client/http-retry.js'
import { UsageError } from '../errors.js'
import {
  clientFrom,
  EXIT,
  failUsage,
  intOption,
  uploadClientFrom,
  type TokenOptions,
} from './client-options.js'
import { checkpointPathOf, ReportWithCheckpoint, type ImportCounts } from './import/checkpoint.js'
import { countingLedger, runImport, type ReportLine } from './import/import-runner.js'
import { runFileImport, type ByteCounts } from './import/file-import-runner.js'
import { filesRoot, LocalPathError } from './import/local-files.js'
import { chooseProgressMode, createProgress, type ProgressReporter } from './import/progress.js'
import { countEntries, INPUT_FORMATS, openInput, type InputFormat } from './import/readers.js'
import { formatSummary, summaryRows } from './import/summary.js'

const collect = (value: string, previous: string[] = []) => [...previous, value]

interface ImportOptions extends TokenOptions {
  server?: string
  apiVersion: string
  batch: number
  concurrency: number
  retries: number
  format?: InputFormat
  map?: string[]
  mediaType?: string
  set?: string[]
  report?: string
  resume?: boolean
  dryRun?: boolean
  mediaTypes?: string
  quiet?: boolean
  json?: boolean
  files?: string
  resumableOver: number
}

function resumeHint(file: string, options: ImportOptions): string {
  const args = [
    `npx medialib import ${file}`,
    `--server ${options.server}`,
    '--token "$TOKEN"',
    `--report ${options.report}`,
  ]
  if (options.apiVersion !== 'v1') args.push(`--api-version ${options.apiVersion}`)
  if (options.format) args.push(`--format ${options.format}`)
  for (const m of options.map ?? []) args.push(`--map '${m}'`)
  if (options.mediaType) args.push(`--media-type ${options.mediaType}`)
  for (const m of options.set ?? []) args.push(`--set '${m}'`)
  if (options.files) args.push(`--files ${options.files}`)
  return `${args.join(' ')} --resume`
}

/** `--resumable-over` default: files above 32 MiB go by tus (docs/upload.md). */
const RESUMABLE_OVER = 32 * 1024 * 1024

/** Failures printed without `--report`. */
const SHOWN_FAILURES = 10

/** The first failures, one line each (line number, entry, reason), and how many more there are. */
export function listFailures(shown: readonly ReportLine[], total: number): string {
  const lines = [...shown]
    .sort((a, b) => a.line - b.line)
    .map((f) => {
      const reason =
        typeof f.details?.message === 'string' ? f.details.message : JSON.stringify(f.details ?? {})
      return `line ${f.line} (${f.correlation}): ${f.error ?? 'failed'}: ${reason}`
    })
  if (total > shown.length) lines.push(`… and ${total - shown.length} more; --report FILE lists all`)
  return `${lines.join('\n')}\n`
}

/** For a 401 or 403 that ended the run: what is wrong with the token, and how to get a right one. */
export function refusedTokenMessage(fatal: Error | undefined): string | undefined {
  if (!(fatal instanceof ApiError) || (fatal.status !== 401 && fatal.status !== 403)) return undefined
  if (fatal.status === 401) {
    return `the server refused the token (${fatal.message}). Pass a valid token of the target project with --token, --token-file FILE or MEDIALIB_TOKEN.`
  }
  const details = (fatal.body as { error_details?: { missing_scope?: unknown } } | undefined)?.error_details
  const scope = typeof details?.missing_scope === 'string' ? details.missing_scope : 'public-api:write'
  return `the token lacks the scope ${scope} (${fatal.message}). Create one with: medialib tokens create --data-dir DIR --project P --scope public-api:write --scope public-api:read`
}

async function runImportCommand(file: string, options: ImportOptions): Promise<number> {
  if (options.resume && !options.report)
    throw new UsageError('--resume needs --report FILE (the checkpoint lives beside it)')
  if (options.files && options.dryRun) throw new UsageError('--dry-run does not combine with --files')
  const mode = chooseProgressMode(options)
  const readOptions = {
    ...(options.format ? { format: options.format } : {}),
    ...(options.map ? { map: options.map } : {}),
    ...(options.mediaType ? { mediaType: options.mediaType } : {}),
    ...(options.set ? { set: options.set } : {}),
  }
  const started = Date.now()
  const printSummary = (counts: ImportCounts, processed: number, extra: Record<string, unknown>) => {
    const seconds = (Date.now() - started) / 1000
    if (options.json) {
      const rate = seconds > 0 ? Math.round(processed / seconds) : processed
      const summary = {
        type: 'summary',
        ...counts,
        ...extra,
        durationSeconds: Number(seconds.toFixed(1)),
        rate,
      }
      process.stdout.write(`${JSON.stringify(summary)}\n`)
    } else {
      const rows = summaryRows(counts, processed, seconds, options.dryRun)
      if (typeof extra.bytesSent === 'number')
        rows.push(['files sent', String(extra.filesSent)], ['bytes sent', String(extra.bytesSent)])
      process.stdout.write(formatSummary(rows))
    }
  }

  if (options.dryRun) {
    // Loaded on demand: the validators (Ajv, media types) are not needed to send entries.
    const { loadMediaTypes, runDryRun } = await import('./import/dry-run.js')
    const client = options.mediaTypes ? undefined : clientFrom(options)
    const mediaTypes = await loadMediaTypes(options.mediaTypes, client)
    const { items } = await openInput(file, readOptions)
    const progress = createProgress(mode === 'bar' ? 'log' : mode, undefined, { verb: 'dry run' })
    const counts = await runDryRun({
      items,
      mediaTypes,
      apiVersion: options.apiVersion,
      ...(options.report ? { reportFile: options.report } : {}),
      onProblem: (line) => {
        if (!options.json)
          process.stderr.write(`line ${line.line}: ${line.error} ${JSON.stringify(line.details)}\n`)
      },
      onProgress: (c) => progress.update(c),
    })
    progress.stop()
    printSummary(counts, counts.ok + counts.failed, { dryRun: true })
    return counts.failed > 0 ? EXIT.failed : EXIT.ok
  }

  // Without a report, the first failures are kept to be printed after the summary.
  const failures: ReportLine[] = []
  const notes: { sink?: ProgressReporter } = {}
  const client = clientFrom(options, (m) => notes.sink?.note(m))
  const { format, items } = await openInput(file, readOptions)
  const ledger = options.report
    ? new ReportWithCheckpoint(options.report, file === '-' ? '-' : file, options.resume ?? false)
    : countingLedger()
  const progress = createProgress(mode, await countEntries(file, format), {
    resumedFrom: ledger.resumedFrom,
    files: options.files !== undefined,
  })
  notes.sink = progress
  if (ledger.resumedFrom > 0)
    progress.note(`resuming: ${ledger.resumedFrom} entries were acknowledged by an earlier run`)

  let stopping = false
  const onSigint = () => {
    if (stopping) process.exit(EXIT.interrupted)
    stopping = true
    progress.note('stopping after the batches in flight (Ctrl-C again to quit at once)')
  }
  process.on('SIGINT', onSigint)
  let result
  try {
    const common = {
      client,
      items,
      ledger,
      batchSize: options.batch,
      concurrency: options.concurrency,
      shouldStop: () => stopping,
      ...(options.report
        ? {}
        : {
            onFailure: (line: ReportLine) => void (failures.length < SHOWN_FAILURES && failures.push(line)),
          }),
    }
    result = options.files
      ? await runFileImport({
          ...common,
          uploads: uploadClientFrom(options),
          root: await filesRoot(options.files),
          resumableOver: options.resumableOver,
          onProgress: (counts, bytes) => progress.update(counts, bytes),
        })
      : await runImport({ ...common, onProgress: (counts) => progress.update(counts) })
  } finally {
    process.off('SIGINT', onSigint)
    progress.stop()
    ledger.close()
  }
  const { counts } = result
  const processed = counts.ok + counts.alreadyPresent + counts.failed - ledger.resumedFrom
  const bytes = 'bytes' in result ? (result.bytes as ByteCounts) : undefined
  printSummary(counts, processed, {
    skipped: result.skipped,
    interrupted: result.interrupted,
    ...(bytes ? { filesSent: bytes.filesSent, bytesSent: bytes.bytesSent } : {}),
  })
  if (!options.json && failures.length > 0) process.stderr.write(listFailures(failures, counts.failed))
  const refused = refusedTokenMessage(result.fatal)
  if (refused) {
    process.stderr.write(`medialib import stopped: ${refused}\n`)
    return EXIT.usage
  }
  if (result.fatal || result.interrupted) {
    const why = result.fatal ? `stopped: ${result.fatal.message}` : 'interrupted'
    const how = options.report
      ? `resume with:\n  ${resumeHint(file, options)}\n(checkpoint: ${checkpointPathOf(options.report)})`
      : 'run again with --report FILE to be able to resume'
    process.stderr.write(`medialib import ${why}; ${how}\n`)
    return result.fatal ? EXIT.usage : EXIT.interrupted
  }
  return counts.failed > 0 ? EXIT.failed : EXIT.ok
}

export function importCommand(): Command {
  return new Command('import')
    .description('import entries from NDJSON, a JSON array, {mediaLibraryEntries:[…]} or CSV through the API')
    .argument('<file>', 'the input file, or - for stdin')
    .option('--server <url>', 'the medialib server, e.g. http://127.0.0.1:3000')
    .option('--token <token>', 'an API token of the target project (public-api:write, and :read for re-runs)')
    .option('--token-file <file>', 'read the token from this file (or set MEDIALIB_TOKEN): not visible in ps')
    .option('--api-version <version>', 'API version of the requests', 'v1')
    .option('--batch <n>', 'entries per request (1-10000)', intOption('--batch', 1, 10_000), 500)
    .option('--concurrency <n>', 'requests in flight (1-32)', intOption('--concurrency', 1, 32), 4)
    .option(
      '--retries <n>',
      'retries of a request on network errors, 429 and 5xx',
      intOption('--retries', 0, 50),
      8,
    )
    .addOption(new Option('--format <format>', 'input format (default: detected)').choices(INPUT_FORMATS))
    .option(
      '--map <target=Column>',
      'CSV: a column for an entry field, repeatable: title=Headline, asset.url=URL',
      collect,
    )
    .option(
      '--set <target=value>',
      'CSV: the same value for every row, repeatable: asset.mimeType=image/jpeg',
      collect,
    )
    .option('--media-type <handle>', 'CSV: the media type of rows without a mediaType column')
    .option('--report <file>', 'write one NDJSON line per entry; the checkpoint is <file>.checkpoint')
    .option('--resume', 'skip the entries the checkpoint beside --report has acknowledged')
    .option('--dry-run', 'validate locally against the media types, write nothing')
    .option(
      '--media-types <file>',
      'dry run: the media types (YAML/JSON) instead of fetching them from the server',
    )
    .option(
      '--files <dir>',
      "upload local files: each entry's asset.path names a file under DIR (hashed, sent only when the server lacks it)",
    )
    .option(
      '--resumable-over <bytes>',
      '--files: files larger than this go by tus (resumable), smaller ones by multipart',
      intOption('--resumable-over', 0, Number.MAX_SAFE_INTEGER),
      RESUMABLE_OVER,
    )
    .option('--quiet', 'no progress bar: a log line every few seconds')
    .option('--json', 'machine-readable progress and summary on stdout (NDJSON)')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.usage))
    .action(async (file: string, options: ImportOptions) => {
      let code: number
      try {
        code = await runImportCommand(file, options)
      } catch (err) {
        if (
          err instanceof UsageError ||
          err instanceof ConnectionError ||
          err instanceof ApiError ||
          err instanceof LocalPathError ||
          (err as NodeJS.ErrnoException).code === 'ENOENT'
        )
          failUsage(err)
        throw err
      }
      process.exit(code)
    })
}
