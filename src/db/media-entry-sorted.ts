import { sql, type RawBuilder } from 'kysely'
import type { Database } from './database.js'
import { byIdFrom, filterOf, missingDriven, wordsCondition, type EntrySearch } from './media-entry-search.js'

/** The index that holds each time order, `(project, <time>, seq)` (migration 0002). */
const SORT_INDEX = { created_at: 'media_entries_created', updated_at: 'media_entries_updated' } as const

/**
 * One page of a search in a time order (`query.sort`), keyset-paged on `(time, seq)`: the rows (at most
 * `limit + 1`, the extra one telling that more follow), with `columns` selected from `media_entries e`.
 * Without full text it walks the time index in either direction and stops after the page (on SQLite
 * pinned to that index, so that a filter's own index cannot turn it into a sort of every match). With
 * full text the matches are found by the full-text index and sorted.
 */
export async function sortedRows<R>(
  database: Database,
  project: string,
  query: EntrySearch & { sort: NonNullable<EntrySearch['sort']> },
  columns: RawBuilder<unknown>,
): Promise<R[]> {
  const { db, caps } = database
  const { column, descending } = query.sort
  const { where } = filterOf(caps, project, query)
  const words = query.words ?? []
  if (words.length > 0) where.push(wordsCondition(caps, words))
  const time = sql.ref(`e.${column}`)
  if (query.afterKey) {
    const t = caps.toTime(new Date(query.afterKey.time))
    const seq = query.afterKey.seq
    // The range on the time alone is what the index seeks; the OR settles ties by seq.
    where.push(
      descending
        ? sql`${time} <= ${t} AND (${time} < ${t} OR e.seq < ${seq})`
        : sql`${time} >= ${t} AND (${time} > ${t} OR e.seq > ${seq})`,
    )
  }
  let from =
    caps.name === 'sqlite' && words.length === 0
      ? sql`media_entries e INDEXED BY ${sql.ref(SORT_INDEX[column])}`
      : sql`media_entries e`
  let orderTime: RawBuilder<unknown> = time
  if (await missingDriven(database, project, query)) {
    // The few missing entries by id, then sorted; on PostgreSQL an expression of the time, so that the
    // planner cannot walk the time index instead.
    from = byIdFrom(caps)
    if (caps.name === 'postgres') orderTime = sql`(${time} + interval '0 seconds')`
  }
  const dir = descending ? sql`DESC` : sql`ASC`
  const result = await sql<R>`
    SELECT ${columns} FROM ${from}
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY ${orderTime} ${dir}, e.seq ${dir} LIMIT ${query.limit + 1}`.execute(db)
  return result.rows
}

/** A search's number of matches: exact up to `exactUpTo`, else an estimate (`exact: false`). */
export interface EntryCount {
  value: number
  exact: boolean
}

/**
 * Counts a search's matches (position and sort ignored). It first looks for the match after `exactUpTo`
 * in insertion order; without one, the exact count reads at most `exactUpTo` matches. With one, the
 * estimate scales the project's entry count by the density of matches among the entries up to it:
 * cheap (bounded walks and an index-only count), and at least `exactUpTo + 1`.
 */
export async function countRows(
  database: Database,
  project: string,
  query: EntrySearch,
  exactUpTo: number,
): Promise<EntryCount> {
  const { db, caps } = database
  const { where } = filterOf(caps, project, query)
  if (query.words && query.words.length > 0) where.push(wordsCondition(caps, query.words))
  const condition = sql.join(where, sql` AND `)
  const driven = await missingDriven(database, project, query)
  const from = driven ? byIdFrom(caps) : sql`media_entries e`
  const beyond = await sql<{ seq: number | string }>`
    SELECT e.seq FROM ${from} WHERE ${condition}
    ORDER BY ${driven ? sql`e.seq + 0` : sql`e.seq`} LIMIT 1 OFFSET ${exactUpTo}`.execute(db)
  const last = beyond.rows[0]
  if (!last) {
    const exact = await sql<{ n: number | string }>`
      SELECT count(*) AS n FROM ${from} WHERE ${condition}`.execute(db)
    return { value: Number(exact.rows[0]?.n ?? 0), exact: true }
  }
  const counts = await sql<{ upto: number | string; total: number | string }>`
    SELECT count(*) FILTER (WHERE seq <= ${Number(last.seq)}) AS upto, count(*) AS total
    FROM media_entries WHERE project = ${project}`.execute(db)
  const upto = Number(counts.rows[0]?.upto ?? 0)
  const total = Number(counts.rows[0]?.total ?? 0)
  const found = exactUpTo + 1
  const value = upto > 0 ? Math.round((total * found) / upto) : found
  return { value: Math.max(found, value), exact: false }
}

/**
 * One page of a full-text search by relevance, best first, keyset-paged on `(score, seq)`: SQLite's FTS5
 * `bm25` (lower is better), PostgreSQL's `ts_rank` with length normalisation 1 (as bm25 weighs length), negated (so that lower is better on both). Every match is
 * scored (no index orders by relevance), so a page costs what the number of matches costs. The rows carry
 * their `score` for the cursor. Scores depend on the whole library (word frequencies): while entries are
 * written, paging by relevance is only as stable as the scores.
 */
export async function rankedRows<R>(
  { db, caps }: Database,
  project: string,
  query: EntrySearch & { words: readonly string[] },
  columns: RawBuilder<unknown>,
): Promise<(R & { score: number })[]> {
  const { where } = filterOf(caps, project, query)
  let from = sql`media_entries e`
  let score: RawBuilder<unknown>
  if (caps.name === 'sqlite') {
    from = sql`media_entries_fts f JOIN media_entries e ON e.seq = f.rowid`
    where.push(sql`media_entries_fts MATCH ${query.words.map((w) => `"${w}"*`).join(' ')}`)
    score = sql`bm25(media_entries_fts)`
  } else {
    const match = sql`to_tsquery('simple', ${query.words.map((w) => `${w}:*`).join(' & ')})`
    where.push(sql`e.search_vector @@ ${match}`)
    score = sql`-(ts_rank(e.search_vector, ${match}, 1)::float8)`
  }
  const position = query.afterScore
  const after = position
    ? sql`WHERE score > ${position.score} OR (score = ${position.score} AND seq > ${position.seq})`
    : sql``
  // MATERIALIZED keeps SQLite from moving the score condition next to MATCH, where bm25 cannot run.
  const result = await sql<R & { score: number }>`
    WITH scored AS MATERIALIZED (
      SELECT ${columns}, ${score} AS score FROM ${from} WHERE ${sql.join(where, sql` AND `)}
    )
    SELECT * FROM scored ${after} ORDER BY score, seq LIMIT ${query.limit + 1}`.execute(db)
  return result.rows.map((r) => ({ ...r, score: Number(r.score) }))
}
