import { createMediaEntryRepository } from '../db/media-entry.repository.js'
import type { ProjectService } from './project.service.js'
import type { Database } from '../db/database.js'
import { UsageError } from '../errors.js'
import { createAjv } from '../media/ajv.js'
import { contentOf, ENTRY_STATES, type MediaEntry } from '../media/entry.js'
import { createEntryValidator, type EntryFailure } from '../media/entry-validator.js'
import type { MediaTypeConfig } from '../media/media-types/media-type.js'
import { normalizeMediaTypes } from '../media/media-types/media-types-config.js'
import { compileMediaType, type CompiledMediaType } from '../media/media-types/metadata-validator.js'
import { searchTextOf } from '../media/search-text.js'

/** Entries read per page while checking and rebuilding. */
const PAGE = 1_000
/** Invalid entries listed by name. */
export const LISTED_INVALID = 10

export interface InvalidEntry {
  id: string
  mediaType: string
  reason: string
}

export interface MediaTypesCheck {
  /** Entries of the project. */
  total: number
  /** Entries that would no longer validate, and the first LISTED_INVALID of them. */
  invalidCount: number
  invalid: InvalidEntry[]
  /** Media types whose indexed properties (`index: true`) differ: their entries' search text is rebuilt. */
  reindexedTypes: string[]
}

export interface Progress {
  (phase: 'check' | 'reindex', done: number, total: number): void
}

function reasonOf(failure: EntryFailure): string {
  if (failure.kind === 'metadata')
    return failure.errors
      .map((e) => `${e.translationLocale ? `${e.translationLocale} ` : ''}${e.path} ${e.custom ?? e.rule}`)
      .join('; ')
  if (failure.kind === 'validation') {
    const paths = failure.errors?.map((e) => `${e.path} ${e.message}`).join('; ')
    return paths ? `${failure.message}: ${paths}` : failure.message
  }
  return `${failure.field} '${failure.value}' is not unique`
}

const indexedOf = (type: MediaTypeConfig | undefined) =>
  JSON.stringify(
    (type?.metadata ?? [])
      .filter((d) => d.config?.index === true)
      .map((d) => d.handle)
      .sort(),
  )

/**
 * Changing the media types of a project with entries: checks every entry against the new types first,
 * then (when applied) stores them and rebuilds the search text of the entries whose media type indexes
 * other properties now. Used by `medialib projects update`.
 */
export function createMediaTypesUpdate(deps: { database: Database; projects: ProjectService }) {
  const entries = createMediaEntryRepository(deps.database)
  const ajv = createAjv()
  const validator = createEntryValidator(ajv)

  async function countEntries(project: string): Promise<number> {
    const row = await deps.database.db
      .selectFrom('media_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project', '=', project)
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }

  /** Every entry of the project, page by page, in insertion order. */
  async function* allEntries(project: string): AsyncGenerator<MediaEntry[]> {
    let afterSeq: number | undefined
    for (;;) {
      const page = await entries.search(project, {
        states: ENTRY_STATES,
        limit: PAGE,
        ...(afterSeq !== undefined ? { afterSeq } : {}),
      })
      if (page.entries.length > 0) yield page.entries
      if (page.nextSeq === undefined) return
      afterSeq = page.nextSeq
    }
  }

  const compile = (types: MediaTypeConfig[]): ReadonlyMap<string, CompiledMediaType> =>
    new Map(types.map((t) => [t.handle, compileMediaType(ajv, t)]))

  return {
    /** Normalises and compiles the new types (throws a UsageError naming every problem). */
    prepare(raw: MediaTypeConfig[]): MediaTypeConfig[] {
      const types = normalizeMediaTypes(raw)
      compile(types)
      return types
    },

    async check(project: string, types: MediaTypeConfig[], progress?: Progress): Promise<MediaTypesCheck> {
      const row = await deps.projects.get(project)
      if (!row) throw new UsageError(`No project '${project}'`)
      const compiled = compile(types)
      const total = await countEntries(project)
      const result: MediaTypesCheck = {
        total,
        invalidCount: 0,
        invalid: [],
        reindexedTypes: types
          .filter((t) => indexedOf(t) !== indexedOf(row.mediaTypes.find((o) => o.handle === t.handle)))
          .map((t) => t.handle),
      }
      let done = 0
      for await (const page of allEntries(project)) {
        for (const entry of page) {
          const check = validator.check(contentOf(entry), compiled)
          if (!check.ok) {
            result.invalidCount++
            if (result.invalid.length < LISTED_INVALID) {
              result.invalid.push({
                id: entry.id,
                mediaType: entry.mediaType,
                reason: reasonOf(check.failure),
              })
            }
          }
        }
        done += page.length
        progress?.('check', done, total)
      }
      return result
    },

    /** Stores the types, then rebuilds the search text of the entries of `reindexedTypes`. */
    async apply(
      project: string,
      types: MediaTypeConfig[],
      reindexedTypes: readonly string[],
      progress?: Progress,
    ): Promise<{ reindexed: number }> {
      await deps.projects.updateMediaTypes(project, types)
      if (reindexedTypes.length === 0) return { reindexed: 0 }
      const compiled = compile(types)
      const affected = new Set(reindexedTypes)
      const total = await countEntries(project)
      let done = 0
      let reindexed = 0
      for await (const page of allEntries(project)) {
        const rows = page
          .filter((e) => affected.has(e.mediaType))
          .map((e) => ({
            id: e.id,
            version: e.version,
            searchText: searchTextOf(e, compiled.get(e.mediaType)),
          }))
        reindexed += await entries.rewriteSearchText(project, rows)
        done += page.length
        progress?.('reindex', done, total)
      }
      return { reindexed }
    },
  }
}

export type MediaTypesUpdate = ReturnType<typeof createMediaTypesUpdate>
