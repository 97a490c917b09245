import { Command, Option } from 'commander'
import { UsageError } from '../errors.js'
import { formatDuration, parseDuration } from '../sources/schedule.js'
import type { SourceSettings, SourceSpec } from '../sources/source.service.js'
import { readSourceMetadataFile, type MetadataFileFormat } from './import/source-metadata-file.js'
import { printTable, withCommonOptions, withDeps, type AdminFlags } from './shared.js'

type ProjectFlags = AdminFlags & { project: string }

const collect = (value: string, previous: string[] = []) => [...previous, value]

/** `pdf=file,tif=image`: media types by extension. */
function byExtension(spec: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of spec.split(',').filter(Boolean)) {
    const [ext, mediaType, ...rest] = pair.split('=')
    if (!ext || !mediaType || rest.length > 0) {
      throw new UsageError(`--media-types-by-extension ${spec}: expected ext=mediaType,…, e.g. pdf=file`)
    }
    out[ext.trim()] = mediaType.trim()
  }
  return out
}

/** `medialib sources add|list|remove|scan`: a project's read-only sources (issue #22). */
export function sourcesCommand(): Command {
  const add = withCommonOptions(
    new Command('add')
      .description('add a read-only source: a folder (--disk) or a bucket and prefix (--s3 bucket[/prefix])')
      .argument('<handle>', 'the source’s name in the project (entries get systemName = handle)')
      .requiredOption('--project <handle>', 'project handle')
      .option('--disk <dir>', 'a folder; its files stay where they are')
      .option('--s3 <bucket[/prefix]>', 'an S3 bucket, optionally with a prefix')
      .option('--s3-endpoint <url>', 'S3-compatible endpoint (default: storage.s3.endpoint)')
      .option('--s3-region <region>', 'region (default: storage.s3.region)')
      .option('--s3-force-path-style', 'path-style addressing (MinIO, s3rver)')
      .option('--copy', 'copy scanned files into the project’s storage (entries’ assets are the copies)')
      .option(
        '--media-types-by-extension <ext=mediaType,…>',
        'media types by file extension, before the sniffed type’s default: pdf=file,tif=image',
      )
      .option('--rescan-every <duration>', 'rescan on a schedule: 15m, 6h, 1d (a worker starts it)'),
  ).action(
    async (
      handle: string,
      options: ProjectFlags & {
        disk?: string
        s3?: string
        s3Endpoint?: string
        s3Region?: string
        s3ForcePathStyle?: boolean
        copy?: boolean
        mediaTypesByExtension?: string
        rescanEvery?: string
      },
    ) => {
      if ((options.disk === undefined) === (options.s3 === undefined)) {
        throw new UsageError('Name exactly one of --disk DIR or --s3 bucket[/prefix]')
      }
      let spec: SourceSpec
      if (options.disk !== undefined) {
        spec = { kind: 'disk', dir: options.disk }
      } else {
        const [bucket = '', ...rest] = options.s3!.split('/')
        const prefix = rest.join('/')
        spec = {
          kind: 's3',
          bucket,
          prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
          ...(options.s3Endpoint !== undefined ? { endpoint: options.s3Endpoint } : {}),
          ...(options.s3Region !== undefined ? { region: options.s3Region } : {}),
          ...(options.s3ForcePathStyle ? { forcePathStyle: true } : {}),
        }
      }
      const settings: SourceSettings = {
        ...(options.copy ? { copy: true } : {}),
        ...(options.mediaTypesByExtension !== undefined
          ? { mediaTypesByExtension: byExtension(options.mediaTypesByExtension) }
          : {}),
        ...(options.rescanEvery !== undefined ? { rescanEveryMs: parseDuration(options.rescanEvery) } : {}),
      }
      await withDeps(options, async ({ sources }) => {
        const source = await sources.add(options.project, handle, spec, settings)
        process.stdout.write(`added source '${source.handle}' (${source.kind}: ${source.root})\n`)
      })
    },
  )

  const update = withCommonOptions(
    new Command('update')
      .description('change a source’s schedule')
      .argument('<handle>', 'the source')
      .requiredOption('--project <handle>', 'project handle')
      .requiredOption('--rescan-every <duration>', 'rescan on a schedule: 15m, 6h, 1d; off: no schedule'),
  ).action(async (handle: string, options: ProjectFlags & { rescanEvery: string }) => {
    const rescanEveryMs = parseDuration(options.rescanEvery)
    await withDeps(options, async ({ sources }) => {
      const source = await sources.update(options.project, handle, { rescanEveryMs })
      process.stdout.write(
        source.rescanEveryMs
          ? `source '${handle}' rescans every ${formatDuration(source.rescanEveryMs)}, next at ${source.nextScanAt}\n`
          : `source '${handle}' has no schedule\n`,
      )
    })
  })

  const list = withCommonOptions(
    new Command('list')
      .description('list a project’s sources')
      .requiredOption('--project <handle>', 'project handle'),
  ).action(async (options: ProjectFlags) => {
    await withDeps(options, async ({ sources }) => {
      const rows = (await sources.list(options.project)).map((s) => ({
        handle: s.handle,
        kind: s.kind,
        root: s.root,
        prefix: typeof s.options.prefix === 'string' ? s.options.prefix : '',
        copy: s.options.copy === true ? 'yes' : 'no',
        every: s.rescanEveryMs ? formatDuration(s.rescanEveryMs) : '',
        next: s.nextScanAt ?? '',
        created: s.createdAt,
      }))
      printTable(rows, ['handle', 'kind', 'root', 'prefix', 'copy', 'every', 'next', 'created'])
    })
  })

  const remove = withCommonOptions(
    new Command('remove')
      .description('remove a source (its entries stay; its files are never touched)')
      .argument('<handle>', 'the source')
      .requiredOption('--project <handle>', 'project handle'),
  ).action(async (handle: string, options: ProjectFlags) => {
    await withDeps(options, async ({ sources }) => {
      await sources.remove(options.project, handle)
      process.stdout.write(`removed source '${handle}'\n`)
    })
  })

  const scan = withCommonOptions(
    new Command('scan')
      .description(
        'queue a scan of a source (new files become entries, changed ones are re-probed, vanished ones ' +
          'marked missing) and follow it until done; `medialib worker` or serve’s worker runs it',
      )
      .argument('<handle>', 'the source')
      .requiredOption('--project <handle>', 'project handle')
      .option('--retry-failed', 'read again the files that failed before, even unchanged')
      .option('--dry-run', 'only report what a scan would do: nothing is read or written')
      .option('--in-process', 'run the scan in this process (no worker needed); still resumable')
      .option('--no-follow', 'print the scan id and return at once')
      .option('--page-size <n>', 'objects listed per list task (default 1000)')
      .option('--batch-size <n>', 'objects per batch task (default 250)')
      .option(
        '--metadata <file>',
        'metadata by path (CSV with a header, or NDJSON): wins over XMP sidecars and embedded tags',
      )
      .addOption(
        new Option('--format <format>', 'the metadata file’s format (default: by its name)').choices([
          'csv',
          'ndjson',
        ]),
      )
      .option(
        '--map <target=Column>',
        'metadata file: path=Column names the key; title=Headline a property (repeatable)',
        collect,
      )
      .addOption(
        new Option(
          '--invalid-metadata <mode>',
          'metadata failing validation: refuse the file (default), or keep the entry with the valid fields',
        ).choices(['keep', 'refuse']),
      ),
  ).action(
    async (
      handle: string,
      options: ProjectFlags & {
        retryFailed?: boolean
        dryRun?: boolean
        inProcess?: boolean
        follow: boolean
        pageSize?: string
        batchSize?: string
        metadata?: string
        format?: MetadataFileFormat
        map?: string[]
        invalidMetadata?: 'keep' | 'refuse'
      },
    ) => {
      if (options.metadata === undefined && (options.format !== undefined || options.map !== undefined)) {
        throw new UsageError('--format and --map describe a --metadata file: name one')
      }
      // Read (and checked) before anything is queued: a bad file changes nothing.
      const metadata =
        options.metadata === undefined
          ? []
          : await readSourceMetadataFile(options.metadata, {
              ...(options.format ? { format: options.format } : {}),
              ...(options.map ? { map: options.map } : {}),
            })
      await withDeps(options, async ({ sources }) => {
        const started = await sources.startScan(
          options.project,
          handle,
          {
            dryRun: options.dryRun ?? false,
            retryFailed: options.retryFailed ?? false,
            ...(options.pageSize !== undefined ? { pageSize: Number(options.pageSize) } : {}),
            ...(options.batchSize !== undefined ? { batchSize: Number(options.batchSize) } : {}),
            ...(options.invalidMetadata ? { invalidMetadata: options.invalidMetadata } : {}),
          },
          metadata,
        )
        process.stdout.write(`scan ${started.id}\n`)
        if (!options.follow && !options.inProcess) return
        const running = options.inProcess ? sources.runScan(started) : Promise.resolve()
        let status = started
        let shown = ''
        let hinted = false
        const since = Date.now()
        // Polls at 50 ms at first (a small scan ends at once), backing off to 500 ms.
        let pollMs = 50
        for (;;) {
          status = (await sources.scanStatus(options.project, handle, started.id)) ?? status
          // A line whenever the state or a count changes (so the end is always shown, even with the counts
          // it had while running).
          const line = `${status.state}: ${Object.entries(status.counts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`
          if (line !== shown) process.stderr.write(`${line}\n`)
          shown = line
          if (status.state !== 'running') break
          if (!hinted && !options.inProcess && status.pending.running === 0 && Date.now() - since > 5_000) {
            hinted = true
            process.stderr.write(
              'waiting for a worker to take the scan (`medialib worker`, or `medialib serve` with its ' +
                'in-process worker); or run it here with --in-process\n',
            )
          }
          await new Promise((r) => setTimeout(r, pollMs))
          pollMs = Math.min(500, pollMs * 2)
        }
        await running
        for (const [name, value] of Object.entries(status.counts)) {
          process.stdout.write(`${name.padEnd(12)}${value}\n`)
        }
        for (const f of status.failures) process.stdout.write(`failed      ${f.path}: ${f.reason}\n`)
        for (const n of status.notes) process.stdout.write(`note        ${n.path}: ${n.note}\n`)
        if (status.state === 'failed') throw new Error(`The scan failed: ${status.error ?? 'unknown error'}`)
      })
    },
  )

  return new Command('sources')
    .description('read-only sources: folders or buckets whose files become entries where they lie')
    .addCommand(add)
    .addCommand(update)
    .addCommand(list)
    .addCommand(remove)
    .addCommand(scan)
}
