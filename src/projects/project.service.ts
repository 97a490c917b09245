import type { Ajv } from 'ajv'
import type { ProjectRepository, ProjectRow } from '../db/project.repository.js'
import { UsageError } from '../errors.js'
import { defaultMediaTypes, type MediaTypeConfig } from '../media/media-types/media-type.js'
import { normalizeMediaTypes } from '../media/media-types/media-types-config.js'
import { compileMediaType, type CompiledMediaType } from '../media/media-types/metadata-validator.js'
import { compileUsagePurposes, normalizeUsagePurposes, type CompiledPurposes } from '../media/usage-log.js'

export const PROJECT_HANDLE = /^[a-z][a-z0-9-]{1,49}$/
export const DEFAULT_PROJECT = 'default'
/** How long a process uses its compiled media types of a project before comparing them with the stored ones. */
export const MEDIA_TYPES_RECHECK_MS = 2_000

export interface ProjectService {
  /** Creates a project with the given media types (the defaults when omitted). Throws when it exists. */
  create(handle: string, mediaTypes?: MediaTypeConfig[]): Promise<ProjectRow>
  /** Creates the project with default media types unless it exists. */
  ensure(handle: string): Promise<void>
  get(handle: string): Promise<ProjectRow | undefined>
  list(): Promise<ProjectRow[]>
  /**
   * The project's media types, compiled to validators once per process and cached. The cache checks the
   * stored media types again at most every MEDIA_TYPES_RECHECK_MS, so `medialib projects update` in another
   * process reaches a running server within that time.
   */
  mediaTypesOf(handle: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  /** Replaces the media types of an existing project (checked and normalised first). */
  updateMediaTypes(handle: string, mediaTypes: MediaTypeConfig[]): Promise<ProjectRow>
  /** The project's usage purposes with their params validators, cached like the media types. */
  usagePurposesOf(handle: string): Promise<CompiledPurposes>
  /** Replaces the usage purposes of an existing project (checked first: UsageError naming each problem). */
  updateUsagePurposes(handle: string, purposes: unknown): Promise<ProjectRow>
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
  // Compiled sets with the stored text they were compiled from, and when that text was last compared.
  const compiled = new Map<
    string,
    { map: ReadonlyMap<string, CompiledMediaType>; json: string; checkedAt: number }
  >()
  const compileAll = (types: MediaTypeConfig[]) =>
    new Map(types.map((t) => [t.handle, compileMediaType(ajv, t)]))
  const remember = (row: ProjectRow) => {
    const json = JSON.stringify(row.mediaTypes)
    const known = compiled.get(row.handle)
    const map = known && known.json === json ? known.map : compileAll(row.mediaTypes)
    compiled.set(row.handle, { map, json, checkedAt: Date.now() })
    return map
  }

  const purposes = new Map<string, { compiled: CompiledPurposes; json: string; checkedAt: number }>()
  const rememberPurposes = (row: ProjectRow) => {
    const json = JSON.stringify(row.usagePurposes)
    const known = purposes.get(row.handle)
    const compiledPurposes =
      known && known.json === json ? known.compiled : compileUsagePurposes(ajv, row.usagePurposes)
    purposes.set(row.handle, { compiled: compiledPurposes, json, checkedAt: Date.now() })
    return compiledPurposes
  }

  const service: ProjectService = {
    async usagePurposesOf(handle) {
      const cached = purposes.get(handle)
      if (cached && Date.now() - cached.checkedAt < MEDIA_TYPES_RECHECK_MS) return cached.compiled
      const row = await projects.get(handle)
      if (!row) throw new Error(`project '${handle}' does not exist`)
      return rememberPurposes(row)
    },
    async updateUsagePurposes(handle, raw) {
      const checked = normalizeUsagePurposes(raw)
      // Compiling proves every paramsSchema usable before it is stored.
      compileUsagePurposes(ajv, checked)
      if (!(await projects.updateUsagePurposes(handle, checked)))
        throw new UsageError(`No project '${handle}'`)
      const row = await projects.get(handle)
      if (!row) throw new Error(`project '${handle}' vanished after its update`)
      rememberPurposes(row)
      return row
    },
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
      if (cached && Date.now() - cached.checkedAt < MEDIA_TYPES_RECHECK_MS) return cached.map
      const row = await projects.get(handle)
      if (!row) throw new Error(`project '${handle}' does not exist`)
      return remember(row)
    },
    async updateMediaTypes(handle, mediaTypes) {
      const types = normalizeMediaTypes(mediaTypes)
      if (!(await projects.updateMediaTypes(handle, types))) throw new UsageError(`No project '${handle}'`)
      const row = await projects.get(handle)
      if (!row) throw new Error(`project '${handle}' vanished after its update`)
      remember(row)
      return row
    },
    async precompile(max) {
      let done = 0
      const failed: { project: string; error: string }[] = []
      for (const row of await projects.list(max)) {
        try {
          remember(row)
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
