import type { DeletionRoutineRepository } from '../db/deletion-routine.repository.js'
import type { ProjectRow } from '../db/project.repository.js'
import { AppError } from '../errors.js'
import type { DeletionRoutine } from './deletion-routine.js'
import type { TrashService } from './trash.service.js'

/** One media type's part of a run. */
export interface RoutineReport {
  project: string
  mediaType: string
  routine: DeletionRoutine
  /** The entries that matched (moved to the trash unless a dry run), oldest first. */
  ids: string[]
  deleted: number
  /** Matched, then refused by the delete's own rules (used or protected meanwhile, or gone). */
  skipped: number
}

export interface DeletionRoutineService {
  /**
   * Runs every media type's deletion routine (of one project, or of all): the matching entries go to the
   * trash as `DELETE` sends them (restorable for `trashDays`). `dryRun` lists them and deletes nothing.
   */
  run(options?: { dryRun?: boolean; project?: string }): Promise<RoutineReport[]>
}

/** Entries one media type's routine moves per run: a long backlog is worked off over several runs. */
export const ROUTINE_BATCH = 1000

export function createDeletionRoutineService(deps: {
  candidates: DeletionRoutineRepository
  projects: { list(): Promise<ProjectRow[]>; get(handle: string): Promise<ProjectRow | undefined> }
  trash: Pick<TrashService, 'delete'>
  now?: () => Date
}): DeletionRoutineService {
  const now = deps.now ?? (() => new Date())
  return {
    async run(options = {}) {
      const projects = options.project
        ? [await deps.projects.get(options.project)].filter((p): p is ProjectRow => p !== undefined)
        : await deps.projects.list()
      const reports: RoutineReport[] = []
      for (const project of projects) {
        for (const type of project.mediaTypes) {
          const routine = type.deletionRoutine
          if (!routine) continue
          const ids = await deps.candidates.listCandidates({
            project: project.handle,
            mediaType: type.handle,
            createdBefore: new Date(now().getTime() - routine.olderThanDays * 86_400_000),
            ...(routine.state ? { state: routine.state } : {}),
            limit: ROUTINE_BATCH,
          })
          const report: RoutineReport = {
            project: project.handle,
            mediaType: type.handle,
            routine,
            ids,
            deleted: 0,
            skipped: 0,
          }
          if (!options.dryRun) {
            for (const id of ids) {
              try {
                await deps.trash.delete(project.handle, id)
                report.deleted++
              } catch (err) {
                if (!(err instanceof AppError) || err.status >= 500) throw err
                report.skipped++
              }
            }
          }
          reports.push(report)
        }
      }
      return reports
    },
  }
}
