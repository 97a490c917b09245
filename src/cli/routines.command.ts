import { Command } from 'commander'
import { printTable, withCommonOptions, withDeps, type AdminFlags } from './shared.js'

/** `medialib routines run [--dry-run]`: the media types' deletion routines, now (issue #16). */
export function routinesCommand(): Command {
  const routines = new Command('routines').description('deletion routines of the media types')
  withCommonOptions(
    routines
      .command('run')
      .description('run every deletion routine now (the worker runs them on a schedule)')
      .option('--project <handle>', 'only this project')
      .option('--dry-run', 'list what would be deleted; delete nothing'),
  ).action(async (options: AdminFlags & { project?: string; dryRun?: boolean }) => {
    await withDeps(options, async ({ deletionRoutines }) => {
      const reports = await deletionRoutines.run({
        dryRun: options.dryRun ?? false,
        ...(options.project ? { project: options.project } : {}),
      })
      if (options.dryRun) {
        printTable(
          reports.flatMap((r) => r.ids.map((id) => ({ project: r.project, mediaType: r.mediaType, id }))),
          ['project', 'mediaType', 'id'],
        )
      }
      printTable(
        reports.map((r) => ({
          project: r.project,
          mediaType: r.mediaType,
          olderThanDays: String(r.routine.olderThanDays),
          state: r.routine.state ?? 'any',
          matched: String(r.ids.length),
          deleted: options.dryRun ? '(dry run)' : String(r.deleted),
          skipped: String(r.skipped),
        })),
        ['project', 'mediaType', 'olderThanDays', 'state', 'matched', 'deleted', 'skipped'],
      )
    })
  })
  return routines
}
