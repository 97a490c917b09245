import { Command } from 'commander'
import { UsageError } from '../errors.js'
import type { SourceSpec } from '../sources/source.service.js'
import { printTable, withCommonOptions, withDeps, type AdminFlags } from './shared.js'

type ProjectFlags = AdminFlags & { project: string }

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
      .option('--s3-force-path-style', 'path-style addressing (MinIO, s3rver)'),
  ).action(
    async (
      handle: string,
      options: ProjectFlags & {
        disk?: string
        s3?: string
        s3Endpoint?: string
        s3Region?: string
        s3ForcePathStyle?: boolean
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
      await withDeps(options, async ({ sources }) => {
        const source = await sources.add(options.project, handle, spec)
        process.stdout.write(`added source '${source.handle}' (${source.kind}: ${source.root})\n`)
      })
    },
  )

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
        created: s.createdAt,
      }))
      printTable(rows, ['handle', 'kind', 'root', 'prefix', 'created'])
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
      .option('--batch-size <n>', 'objects per batch task (default 250)'),
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
      },
    ) => {
      await withDeps(options, async ({ sources }) => {
        const started = await sources.startScan(options.project, handle, {
          dryRun: options.dryRun ?? false,
          retryFailed: options.retryFailed ?? false,
          ...(options.pageSize !== undefined ? { pageSize: Number(options.pageSize) } : {}),
          ...(options.batchSize !== undefined ? { batchSize: Number(options.batchSize) } : {}),
        })
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
        if (status.state === 'failed') throw new Error(`The scan failed: ${status.error ?? 'unknown error'}`)
      })
    },
  )

  return new Command('sources')
    .description('read-only sources: folders or buckets whose files become entries where they lie')
    .addCommand(add)
    .addCommand(list)
    .addCommand(remove)
    .addCommand(scan)
}
