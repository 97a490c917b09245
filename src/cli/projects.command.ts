import { DUPLICATE_POLICIES, type DuplicatePolicy } from '../media/upload/duplicate-policy.js'
import { Command } from 'commander'
import { UsageError } from '../errors.js'
import { readConfigFile, readMediaTypesFile } from '../media/media-types/media-types-config.js'
import { normalizeUsagePurposes } from '../media/usage-log.js'
import type { Progress } from '../projects/media-types-update.js'
import { printTable, withCommonOptions, withDeps } from './shared.js'

export function projectsCommand(): Command {
  const projects = new Command('projects').description('manage projects and their media types')

  withCommonOptions(
    projects
      .command('create')
      .description('create a project (with default media types unless --media-types is given)')
      .argument('<handle>', 'project handle, e.g. my-archive')
      .option('--media-types <file>', 'media types config, YAML or JSON: a list, or {mediaTypes: [...]}'),
  ).action(async (handle: string, options) => {
    // Read and check the file before touching the database, so a bad file changes nothing.
    const mediaTypes = options.mediaTypes ? readMediaTypesFile(options.mediaTypes) : undefined
    await withDeps(options, async ({ projects }) => {
      const project = await projects.create(handle, mediaTypes)
      process.stdout.write(
        `created project ${project.handle} with media types ${project.mediaTypes.map((t) => t.handle).join(', ')}\n`,
      )
    })
  })

  withCommonOptions(projects.command('list').description('list projects')).action(async (options) => {
    await withDeps(options, async ({ projects }) => {
      const rows = (await projects.list()).map((p) => ({
        handle: p.handle,
        mediaTypes: p.mediaTypes.map((t) => `${t.handle}(${t.type})`).join(' '),
        createdAt: p.createdAt,
      }))
      printTable(rows, ['handle', 'mediaTypes', 'createdAt'])
    })
  })
  withCommonOptions(
    projects
      .command('update')
      .description(
        'change the media types of a project (checks every entry first, and rebuilds the search text when indexed properties change), or its usage purposes',
      )
      .argument('<handle>', 'project handle')
      .option('--media-types <file>', 'the new media types config, YAML or JSON')
      .option(
        '--usage-purposes <file>',
        'the usage purposes, YAML or JSON: a list of {handle, label, paramsSchema?}, or {usagePurposes: [...]}',
      )
      .option(
        '--duplicate-policy <policy>',
        'what an upload of bytes the project already holds does: skip (default), allow or reject',
      )
      .option('--dry-run', 'only report what the update would do')
      .option('--force', 'update even when existing entries would no longer validate'),
  ).action(async (handle: string, options) => {
    if (options.duplicatePolicy !== undefined) {
      const policy = options.duplicatePolicy as DuplicatePolicy
      if (!DUPLICATE_POLICIES.includes(policy))
        throw new UsageError(`--duplicate-policy must be one of ${DUPLICATE_POLICIES.join(', ')}`)
      await withDeps(options, async ({ uploads }) => {
        if (options.dryRun) return void process.stdout.write('dry run: nothing changed\n')
        await uploads.setDuplicatePolicy(handle, policy)
        process.stdout.write(`updated project ${handle} with duplicate policy ${policy}\n`)
      })
      if (!options.mediaTypes && !options.usagePurposes) return
    }
    if (!options.mediaTypes && !options.usagePurposes) {
      throw new UsageError(
        'Give --media-types FILE, --usage-purposes FILE, --duplicate-policy POLICY or more',
      )
    }
    // Read and check the files before touching the database, so a bad file changes nothing.
    const purposes = options.usagePurposes ? readUsagePurposes(options.usagePurposes) : undefined
    if (purposes && !options.mediaTypes) {
      await withDeps(options, async ({ projects }) => {
        if (options.dryRun) return void process.stdout.write('dry run: nothing changed\n')
        await projects.updateUsagePurposes(handle, purposes)
        process.stdout.write(
          `updated project ${handle} with usage purposes ${purposes.map((p) => p.handle).join(', ')}\n`,
        )
      })
      return
    }
    const mediaTypes = readMediaTypesFile(options.mediaTypes)
    await withDeps(options, async (deps) => {
      const update = deps.mediaTypesUpdate
      const types = update.prepare(mediaTypes)
      const progress = progressPrinter()
      const check = await update.check(handle, types, progress)
      const out = (line: string) => process.stdout.write(`${line}\n`)
      out(
        `checked ${check.total} entries of ${handle}: ${check.invalidCount} would no longer validate against ${options.mediaTypes}`,
      )
      for (const e of check.invalid) out(`  ${e.id} (${e.mediaType}): ${e.reason}`)
      if (check.invalidCount > check.invalid.length)
        out(`  … and ${check.invalidCount - check.invalid.length} more`)
      if (check.reindexedTypes.length > 0)
        out(`indexed properties change for ${check.reindexedTypes.join(', ')}: their search text is rebuilt`)
      if (options.dryRun) {
        out('dry run: nothing changed')
        return
      }
      if (check.invalidCount > 0 && !options.force) {
        throw new UsageError(
          `not updated: ${check.invalidCount} entries would no longer validate (nothing changed; --force updates anyway)`,
        )
      }
      const { reindexed } = await update.apply(handle, types, check.reindexedTypes, progress)
      out(
        `updated project ${handle} with media types ${types.map((t) => t.handle).join(', ')}; search text rebuilt for ${reindexed} entries`,
      )
      if (purposes) {
        await deps.projects.updateUsagePurposes(handle, purposes)
        out(`updated project ${handle} with usage purposes ${purposes.map((p) => p.handle).join(', ')}`)
      }
    })
  })
  imageSigningCommand(projects)
  return projects
}

/** A usage purposes file: a list, or `{usagePurposes: [...]}` (Livingdocs' `mediaCenter` key), checked. */
function readUsagePurposes(file: string) {
  const raw = readConfigFile(file, 'usage purposes')
  const list =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'usagePurposes' in raw
      ? (raw as { usagePurposes: unknown }).usagePurposes
      : raw
  return normalizeUsagePurposes(list)
}

/** Progress on stderr for large projects: a line at most every second, and at the end of each phase. */
function progressPrinter(): Progress {
  let last = Date.now()
  return (phase, done, total) => {
    if (total < PROGRESS_FROM) return
    const now = Date.now()
    if (done < total && now - last < 1000) return
    last = now
    process.stderr.write(`${phase === 'check' ? 'checked' : 'reindexed'} ${done} of ${total} entries\n`)
  }
}

/** Projects with fewer entries show no progress. */
const PROGRESS_FROM = 5_000

/** `--allowed-sizes 160,320` / `--allowed-formats webp,jpg`: a list, or `default` for the server's. */
function listOption<T>(name: string, value: string | undefined, item: (s: string) => T | undefined) {
  if (value === undefined) return undefined
  if (value === 'default') return null
  const items = value.split(',').map((s) => s.trim())
  const bad = items.find((s) => item(s) === undefined)
  if (bad !== undefined || items.length === 0)
    throw new UsageError(
      `--${name} takes a comma-separated list or 'default'; '${bad ?? value}' is not allowed`,
    )
  return [...new Set(items.map((s) => item(s)!))]
}
const sizeItem = (s: string) => (/^\d{1,5}$/.test(s) && +s >= 1 && +s <= 16_384 ? +s : undefined)
const formatItem = (s: string) => (['jpg', 'png', 'webp', 'avif', 'gif'].includes(s) ? s : undefined)

/**
 * `medialib projects image-signing <handle> [--require-signature on|off] [--rotate] [--allowed-sizes …]
 * [--allowed-formats …]`: prints the secret that signs the project's variant URLs (`s=`, docs/images.md),
 * and changes whether signatures are required and which variants need none (the project's allow-list).
 */
function imageSigningCommand(projects: Command): void {
  withCommonOptions(
    projects
      .command('image-signing')
      .description("print the project's image URL signing secret; require signatures or make a new secret")
      .argument('<handle>', 'project handle')
      .option('--require-signature <on|off>', 'on: every variant needs s=; off: the allow-list is enough')
      .option('--rotate', 'make a new secret (URLs signed with the old one stop working)')
      .option(
        '--allowed-sizes <list|default>',
        "widths/heights without s= (e.g. 160,320,640); 'default': the server's",
      )
      .option(
        '--allowed-formats <list|default>',
        "formats without s= (e.g. webp,jpg); 'default': the server's",
      ),
  ).action(async (handle: string, options) => {
    const require = options.requireSignature as string | undefined
    if (require !== undefined && require !== 'on' && require !== 'off')
      throw new UsageError(`--require-signature takes on or off, not '${require}'`)
    const allowedSizes = listOption('allowed-sizes', options.allowedSizes as string | undefined, sizeItem)
    const allowedFormats = listOption(
      'allowed-formats',
      options.allowedFormats as string | undefined,
      formatItem,
    )
    await withDeps(options, async ({ projects: service, imageSigning }) => {
      if (!(await service.get(handle))) throw new UsageError(`No project '${handle}'`)
      const signing = await imageSigning.updateSigning(handle, {
        ...(require !== undefined ? { requireSignature: require === 'on' } : {}),
        ...(options.rotate ? { rotate: true } : {}),
        ...(allowedSizes !== undefined ? { allowedSizes } : {}),
        ...(allowedFormats !== undefined ? { allowedFormats } : {}),
      })
      process.stdout.write(
        `secret: ${signing.secret}\nrequire signature: ${signing.requireSignature ? 'on' : 'off'}\n` +
          `allowed sizes: ${signing.allowedSizes?.join(',') ?? 'default'}\n` +
          `allowed formats: ${signing.allowedFormats?.join(',') ?? 'default'}\n`,
      )
    })
  })
}
