import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { Command } from 'commander'
import { ApiError, ConnectionError } from '../client/http-retry.js'
import { toImportInput } from '../client/records.js'
import { UsageError } from '../errors.js'
import { clientFrom, EXIT, failUsage, intOption } from './client-options.js'

interface ExportOptions {
  server?: string
  token?: string
  tokenFile?: string
  apiVersion: string
  retries: number
  pageSize: number
  output?: string
  mediaType?: string
  systemName?: string
  state: string
  createdAfter?: string
  createdBefore?: string
  updatedAfter?: string
  q?: string
  quiet?: boolean
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain')
}

/**
 * Streams every entry of the token's project through the paged list (`limit` + `after` cursor), one
 * import entry per line: id, systemName, externalId, mediaType, asset, metadata, translations. Version,
 * timestamps and state fields are left out: they are not import input.
 */
async function runExport(options: ExportOptions): Promise<number> {
  const client = clientFrom(options, (m) => process.stderr.write(`${m}\n`))
  const out: Writable = options.output ? createWriteStream(options.output) : process.stdout
  const filters = {
    state: options.state,
    ...(options.mediaType ? { mediaType: options.mediaType } : {}),
    ...(options.systemName ? { systemName: options.systemName } : {}),
    ...(options.createdAfter ? { createdAfter: options.createdAfter } : {}),
    ...(options.createdBefore ? { createdBefore: options.createdBefore } : {}),
    ...(options.updatedAfter ? { updatedAfter: options.updatedAfter } : {}),
    ...(options.q ? { q: options.q } : {}),
  }
  const started = Date.now()
  let count = 0
  let lastLog = started
  let cursor: string | null = null
  do {
    const page = await client.listPage({ ...filters, limit: options.pageSize, after: cursor })
    if (page.entries.length > 0) {
      await write(out, page.entries.map((r) => JSON.stringify(toImportInput(r))).join('\n') + '\n')
    }
    count += page.entries.length
    cursor = page.cursor
    if (!options.quiet && Date.now() - lastLog > 5000) {
      lastLog = Date.now()
      process.stderr.write(`export: ${count} entries\n`)
    }
  } while (cursor !== null)
  if (options.output) {
    out.end()
    await once(out, 'finish')
  }
  const seconds = (Date.now() - started) / 1000
  if (!options.quiet) process.stderr.write(`export: ${count} entries in ${seconds.toFixed(1)} s\n`)
  return EXIT.ok
}

export function exportCommand(): Command {
  return new Command('export')
    .description('write every entry of a project as NDJSON that `medialib import` takes back')
    .option('--server <url>', 'the medialib server, e.g. http://127.0.0.1:3000')
    .option('--token <token>', 'an API token of the project (public-api:read)')
    .option('--token-file <file>', 'read the token from this file (or set MEDIALIB_TOKEN): not visible in ps')
    .option(
      '--api-version <version>',
      'API version of the requests (2026-01 or later answers `results`)',
      '2026-07',
    )
    .option(
      '--retries <n>',
      'retries of a request on network errors, 429 and 5xx',
      intOption('--retries', 0, 50),
      8,
    )
    .option('--page-size <n>', 'entries per page (1-1000)', intOption('--page-size', 1, 1000), 1000)
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--media-type <handle>', 'only entries of this media type')
    .option('--system-name <name>', 'only entries of this systemName')
    .option(
      '--state <states>',
      'comma-separated states among active, revoked, archived',
      'active,revoked,archived',
    )
    .option('--created-after <time>', 'only entries created after (ISO-8601)')
    .option('--created-before <time>', 'only entries created before (ISO-8601)')
    .option('--updated-after <time>', 'only entries updated after (ISO-8601)')
    .option('--q <text>', 'full-text search')
    .option('--quiet', 'no progress lines on stderr')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.usage))
    .action(async (options: ExportOptions) => {
      let code: number
      try {
        code = await runExport(options)
      } catch (err) {
        if (err instanceof UsageError || err instanceof ConnectionError || err instanceof ApiError)
          failUsage(err)
        throw err
      }
      process.exit(code)
    })
}
