import { sql, type RawBuilder } from 'kysely'
import type { DialectCaps } from './dialect.js'

/** Rows per batched `UPDATE … FROM (VALUES …)` statement (far below either database's parameter limit). */
export const UPDATE_ROWS = 500

/**
 * `(VALUES (…), (…)) AS v`: the rows of one batched update, whose columns are `v.column1`, `v.column2`, … on
 * both databases (`UPDATE t SET … FROM <this> WHERE t.key = v.column1 …`: one statement, and on PostgreSQL one
 * round trip, for many rows instead of one each). On PostgreSQL each cell is cast to `types[i]` (a parameter in
 * VALUES has no type of its own); SQLite takes the bound values as they are.
 */
export function valuesTable(
  caps: DialectCaps,
  types: readonly ('text' | 'integer' | 'jsonb' | 'timestamptz')[],
  rows: readonly (readonly unknown[])[],
): RawBuilder<unknown> {
  const cell = (value: unknown, i: number) =>
    caps.name === 'postgres' ? sql`cast(${value} as ${sql.raw(types[i]!)})` : sql`${value}`
  return sql`(values ${sql.join(rows.map((row) => sql`(${sql.join(row.map(cell))})`))}) as v`
}

/** `rows` in slices of UPDATE_ROWS. */
export function* updateSlices<T>(rows: readonly T[]): Generator<readonly T[]> {
  for (let i = 0; i < rows.length; i += UPDATE_ROWS) yield rows.slice(i, i + UPDATE_ROWS)
}
