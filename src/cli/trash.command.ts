import { Command } from 'commander'
import { AppError, UsageError } from '../errors.js'
import { DEFAULT_PROJECT } from '../projects/project.service.js'
import { printTable, withCommonOptions, withDeps } from './shared.js'

/** `medialib trash list|restore|purge`: the trash of deleted entries (issue #16). */
export function trashCommand(): Command {
  const trash = new Command('trash').description('list, restore and purge deleted media library entries')

  withCommonOptions(
    trash
      .command('list')
      .description("list a project's trashed entries, most recently deleted first")
      .option('--project <handle>', 'project handle', DEFAULT_PROJECT)
      .option('--limit <n>', 'at most this many', '1000'),
  ).action(async (options) => {
    const limit = Number(options.limit)
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError('--limit must be a whole number of 1 or more')
    await withDeps(options, async ({ trash: service }) => {
      const rows = (await service.list(options.project, limit)).map((e) => ({
        id: e.id,
        mediaType: e.mediaType,
        externalId: e.externalId === undefined ? '' : `${e.systemName}/${e.externalId}`,
        deletedAt: e.deletedAt ?? '',
      }))
      printTable(rows, ['id', 'mediaType', 'externalId', 'deletedAt'])
    })
  })

  withCommonOptions(
    trash
      .command('restore')
      .description('restore trashed entries (within trashDays), as the PATCH operation restore does')
      .argument('<ids...>', 'entry ids')
      .option('--project <handle>', 'project handle', DEFAULT_PROJECT),
  ).action(async (ids: string[], options) => {
    await withDeps(options, async ({ library }) => {
      let failed = 0
      for (const id of ids) {
        try {
          await library.patch(options.project, id, { patches: [{ operation: 'restore' }] })
          process.stdout.write(`restored ${id}\n`)
        } catch (err) {
          failed++
          const details = err instanceof AppError ? err.details?.message : undefined
          process.stderr.write(`${id}: ${typeof details === 'string' ? details : (err as Error).message}\n`)
        }
      }
      if (failed > 0) throw new UsageError(`${failed} of ${ids.length} entries not restored`)
    })
  })

  withCommonOptions(
    trash
      .command('purge')
      .description('purge trashed entries whose trashDays ran out (as the worker does), with their files')
      .option('--older-than-days <n>', 'purge entries trashed at least this many days ago instead (0: all)'),
  ).action(async (options) => {
    const days = options.olderThanDays === undefined ? undefined : Number(options.olderThanDays)
    if (days !== undefined && !(Number.isInteger(days) && days >= 0)) {
      throw new UsageError('--older-than-days must be a whole number of 0 or more')
    }
    await withDeps(options, async ({ trash: service }) => {
      const purged = await service.purgeExpired(days === undefined ? {} : { olderThanDays: days })
      process.stdout.write(`purged ${purged} entries\n`)
    })
  })
  return trash
}
