import { sql, type RawBuilder } from 'kysely'
import type { EntryState } from '../media/entry.js'
import type { Database } from './database.js'

/** What a search asks for. Every field narrows; `states` is never empty. */
export interface EntrySearch {
  mediaType?: string
  systemName?: string
  states: readonly EntryState[]
  createdAfter?: Date
  createdBefore?: Date
  updatedAfter?: Date
  /** Only entries with (true) or without (false) usage-log entries; index `media_entries_used_seq`. */
  used?: boolean
  /**
   * Only entries whose source object vanished (`source_objects.state = 'missing'`, issue #22); index
   * `source_objects_missing` (migration 0017).
   */
  sourceMissing?: boolean
  /** Normalised words (see `searchWords`); every one must match, as a prefix. */
  words?: readonly string[]
  /** Only entries after this position (exclusive), from a previous page. */
  afterSeq?: number
  /** A time order instead of the insertion order (keyset on the time, then `seq`). */
  sort?: { column: 'created_at' | 'updated_at'; descending: boolean }
  /** With `sort`: only entries after this key (exclusive), from a previous page. */
  afterKey?: { time: string; seq: number }
  /** Best full-text matches first (needs `words`); keyset on `(score, seq)`. */
  relevance?: boolean
  /** With `relevance`: only entries after this score and position (exclusive), from a previous page. */
  afterScore?: { score: number; seq: number }
  limit: number
}

/**
 * Most candidate rows a search reads and sorts instead of walking the insertion order. Both planners
 * misjudge two cases: a rare full-text word (PostgreSQL cannot estimate prefix matches) and a time range at
 * the newest end of the library (the rows are not spread over the insertion order as a planner assumes).
 * Walking `seq` then skips nearly the whole table. A bounded probe (at most this many index entries)
 * tells a small candidate set, which is read from its own index and sorted.
 */
const SORT_LIMIT = 20_000

/**
 * The same for PostgreSQL's full text, lower: the probe and the sort fetch every candidate row from the heap
 * (GIN has no index-only scan), while the walk only pays for `limit / density` rows. With n matches among N
 * entries the two cost the same near n² = limit · N, about 7,000 at a million entries.
 */
const FULLTEXT_SORT_LIMIT = 2_000

/** The SQL condition for a set of states (archived wins over revoked, which wins over active). */
function stateCondition(states: readonly EntryState[]): RawBuilder<unknown> {
  const has = (s: EntryState) => states.includes(s)
  if (has('active') && has('revoked') && has('archived')) return sql`1 = 1`
  if (has('active') && has('revoked')) return sql`e.archived_at IS NULL`
  const parts: RawBuilder<unknown>[] = []
  if (has('active')) parts.push(sql`(e.archived_at IS NULL AND e.revoked_at IS NULL)`)
  if (has('revoked')) parts.push(sql`(e.revoked_at IS NOT NULL AND e.archived_at IS NULL)`)
  if (has('archived')) parts.push(sql`e.archived_at IS NOT NULL`)
  return parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, sql` OR `)})`
}

/**
 * The conditions of a search's filters over `media_entries e` (project, states, media type, system,
 * time ranges), without full text and position; the time ranges also apart, with the index of each.
 */
export function filterOf(
  caps: Database['caps'],
  project: string,
  query: EntrySearch,
): { where: RawBuilder<unknown>[]; ranges: TimeRange[] } {
  const at = (d: Date) => caps.toTime(d)
  // Trashed entries are never found (the trash is listed by the repository's own query).
  const where: RawBuilder<unknown>[] = [
    sql`e.project = ${project}`,
    stateCondition(query.states),
    sql`e.deleted_at IS NULL`,
  ]
  if (query.used !== undefined) where.push(sql`e.used = ${query.used ? 1 : 0}`)
  if (query.sourceMissing) {
    where.push(sql`e.id IN (SELECT o.entry_id FROM source_objects o
      WHERE o.project = ${project} AND o.state = 'missing' AND o.entry_id IS NOT NULL)`)
  }
  if (query.mediaType !== undefined) where.push(sql`e.media_type = ${query.mediaType}`)
  if (query.systemName !== undefined) where.push(sql`e.system_name = ${query.systemName}`)
  const ranges: TimeRange[] = []
  if (query.updatedAfter) {
    const condition = sql`updated_at > ${at(query.updatedAfter)}`
    ranges.push({ index: 'media_entries_updated', condition, lowerBound: true })
  }
  if (query.createdAfter || query.createdBefore) {
    const parts: RawBuilder<unknown>[] = []
    if (query.createdAfter) parts.push(sql`created_at > ${at(query.createdAfter)}`)
    if (query.createdBefore) parts.push(sql`created_at < ${at(query.createdBefore)}`)
    const condition = sql.join(parts, sql` AND `)
    ranges.push({ index: 'media_entries_created', condition, lowerBound: query.createdAfter !== undefined })
  }
  for (const r of ranges) where.push(r.condition)
  return { where, ranges }
}

/** Full text as a condition on `media_entries e` (every word, as a prefix), for plans not driven by it. */
export function wordsCondition(caps: Database['caps'], words: readonly string[]): RawBuilder<unknown> {
  if (caps.name === 'sqlite') {
    const match = words.map((w) => `"${w}"*`).join(' ')
    return sql`e.seq IN (SELECT rowid FROM media_entries_fts WHERE media_entries_fts MATCH ${match})`
  }
  return sql`e.search_vector @@ to_tsquery('simple', ${words.map((w) => `${w}:*`).join(' & ')})`
}

/**
 * With `sourceMissing`: whether the project's missing objects are few enough (at most SORT_LIMIT) to read
 * them all by their index and sort the page (full-text words then a condition on them), rather than walk
 * an order's or the full-text index and skip the entries that are not missing (nearly all of them).
 */
export async function missingDriven({ db }: Database, project: string, query: EntrySearch): Promise<boolean> {
  if (!query.sourceMissing) return false
  const beyond = await sql`
    SELECT 1 FROM source_objects WHERE project = ${project} AND state = 'missing'
    LIMIT 1 OFFSET ${SORT_LIMIT}`.execute(db)
  return beyond.rows.length === 0
}

/** The table of a search driven by the missing objects: looked up by id (SQLite is told the index). */
export function byIdFrom(caps: Database['caps']): RawBuilder<unknown> {
  return caps.name === 'sqlite' ? sql`media_entries e INDEXED BY media_entries_pkey` : sql`media_entries e`
}

interface TimeRange {
  index: string
  condition: RawBuilder<unknown>
  /** Bounded below: the smallest seq in the range is a valid start for the walk. */
  lowerBound: boolean
}

/**
 * Runs one page of a search: the rows (at most `limit + 1`, the extra one telling that more follow) in
 * `seq` order, with `columns` selected from `media_entries e`.
 */
export async function searchRows<R>(
  database: Database,
  project: string,
  query: EntrySearch,
  columns: RawBuilder<unknown>,
): Promise<R[]> {
  const { db, caps } = database
  const { where, ranges } = filterOf(caps, project, query)

  const words = query.words ?? []
  let from: RawBuilder<unknown> = sql`media_entries e`
  let order: RawBuilder<unknown> = sql`e.seq`
  // A few missing entries (sourceState=missing) drive the search, full text or not: read by id, the words a
  // condition on them, then sorted. Else the full-text index or an order's index drives it.
  const driven = await missingDriven(database, project, query)
  if (driven && words.length > 0) where.push(wordsCondition(caps, words))
  if (!driven && words.length > 0 && caps.name === 'sqlite') {
    // Driven by the FTS5 index in rowid (= seq) order, so the LIMIT stops the walk without a sort.
    from = sql`media_entries_fts f JOIN media_entries e ON e.seq = f.rowid`
    order = sql`f.rowid`
    where.push(sql`media_entries_fts MATCH ${words.map((w) => `"${w}"*`).join(' ')}`)
  }
  if (query.afterSeq !== undefined) where.push(sql`${order} > ${query.afterSeq}`)
  const after = query.afterSeq === undefined ? sql`` : sql`AND seq > ${query.afterSeq}`
  const exceeds = async (source: RawBuilder<unknown>, condition: RawBuilder<unknown>, limit = SORT_LIMIT) => {
    const beyond = await sql`
      SELECT 1 FROM ${source} WHERE project = ${project} AND ${condition} ${after}
      LIMIT 1 OFFSET ${limit}`.execute(db)
    return beyond.rows.length > 0
  }

  if (driven) {
    // `seq + 0` keeps either planner from walking the seq index: the few missing entries are found by id.
    from = byIdFrom(caps)
    order = sql`e.seq + 0`
  } else if (words.length > 0 && caps.name === 'postgres') {
    const match = sql`search_vector @@ to_tsquery('simple', ${words.map((w) => `${w}:*`).join(' & ')})`
    where.push(sql`e.${match}`)
    // `seq + 0` keeps the planner from walking the seq index: the GIN index finds the few matches.
    if (!(await exceeds(sql`media_entries`, match, FULLTEXT_SORT_LIMIT))) order = sql`e.seq + 0`
  } else if (words.length === 0 && ranges.length > 0) {
    const small = await firstSmallRange(ranges, caps.name, exceeds)
    if (small) {
      if (caps.name === 'sqlite') from = sql`media_entries e INDEXED BY ${sql.ref(small.index)}`
      else order = sql`e.seq + 0`
    } else {
      for (const r of ranges.filter((x) => x.lowerBound)) {
        // `min(seq + 0)` so that neither database turns it into a walk of the seq index.
        const source =
          caps.name === 'sqlite' ? sql`media_entries INDEXED BY ${sql.ref(r.index)}` : sql`media_entries`
        const result = await sql<{ s: number | string | null }>`
          SELECT min(seq + 0) AS s FROM ${source} WHERE project = ${project} AND ${r.condition}`.execute(db)
        const s = result.rows[0]?.s
        if (s === null || s === undefined) return []
        where.push(sql`e.seq >= ${Number(s)}`)
      }
    }
  }
  const result = await sql<R>`
    SELECT ${columns} FROM ${from}
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY ${order} LIMIT ${query.limit + 1}`.execute(db)
  return result.rows
}

async function firstSmallRange(
  ranges: readonly TimeRange[],
  dialect: 'sqlite' | 'postgres',
  exceeds: (source: RawBuilder<unknown>, condition: RawBuilder<unknown>) => Promise<boolean>,
): Promise<TimeRange | undefined> {
  for (const r of ranges) {
    const source =
      dialect === 'sqlite' ? sql`media_entries INDEXED BY ${sql.ref(r.index)}` : sql`media_entries`
    if (!(await exceeds(source, r.condition))) return r
  }
  return undefined
}
