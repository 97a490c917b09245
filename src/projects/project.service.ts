import type { Ajv } from 'ajv'
import type { ProjectRepository, ProjectRow } from '../db/project.repository.js'
import { UsageError } from '../errors.js'
import { defaultMediaTypes, type MediaTypeConfig } from '../media/media-types/media-type.js'
import { normalizeMediaTypes } from '../media/media-types/media-types-config.js'
import { compileMediaType, type CompiledMediaType } from '../media/media-types/metadata-validator.js'

export const PROJECT_HANDLE = /^[a-z][a-z0-9-]{1,49}$/
export const DEFAULT_PROJECT = 'default'

export interface ProjectService {
  /** Creates a project with the given media types (the defaults when omitted). Throws when it exists. */
  create(handle: string, mediaTypes?: MediaTypeConfig[]): Promise<ProjectRow>
  /** Creates the project with default media types unless it exists. */
  ensure(handle: string): Promise<void>
  get(handle: string): Promise<ProjectRow | undefined>
  list(): Promise<ProjectRow[]>
  /** The project's media types, compiled to validators once per process and cached. */
  mediaTypesOf(handle: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  /**
   * Compiles the media types of the first `max` projects ahead of time (at server start), so that a
   * project's first request does not wait for its validators. A project whose media types fail to
   * compile is reported, not thrown: it must not keep the server from starting (its requests then
   * fail on their own, with the same error).
   */
  precompile(max: number): Promise<{ compiled: number; failed: { project: string; error: string }[] }>
}

export function createProjectService(deps: { projects: ProjectRepository; ajv: Ajv }): ProjectService {
  const { projects, ajv } = deps
  // Media types are fixed when a project is created, so a compiled set never goes stale.
  const compiled = new Map<string, ReadonlyMap<string, CompiledMediaType>>()
  const compileAll = (types: MediaTypeConfig[]) =>
    new Map(types.map((t) => [t.handle, compileMediaType(ajv, t)]))

  const service: ProjectService = {
    async create(handle, mediaTypes) {
      if (!PROJECT_HANDLE.test(handle)) {
        throw new UsageError(`Invalid project handle '${handle}': it must match ${PROJECT_HANDLE.source}`)
      }
      const types = mediaTypes ? normalizeMediaTypes(mediaTypes) : defaultMediaTypes()
      if (!(await projects.create(handle, types))) throw new UsageError(`Project '${handle}' already exists`)
      const row = await projects.get(handle)
      if (!row) throw new Error(`project '${handle}' vanished after creation`)
      return row
    },
    async ensure(handle) {
      await projects.create(handle, defaultMediaTypes())
    },
    get: (handle) => projects.get(handle),
    list: () => projects.list(),
    async mediaTypesOf(handle) {
      const cached = compiled.get(handle)
      if (cached) return cached
      const row = await projects.get(handle)
      if (!row) throw new Error(`project '${handle}' does not exist`)
      const map = compileAll(row.mediaTypes)
      compiled.set(handle, map)
      return map
    },
    async precompile(max) {
      let done = 0
      const failed: { project: string; error: string }[] = []
      for (const row of await projects.list(max)) {
        try {
          compiled.set(row.handle, compileAll(row.mediaTypes))
          done++
        } catch (err) {
          failed.push({ project: row.handle, error: err instanceof Error ? err.message : String(err) })
        }
      }
      return { compiled: done, failed }
    },
  }
  return service
}
