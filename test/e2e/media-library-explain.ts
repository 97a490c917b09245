import { CompiledQuery, type KyselyPlugin } from 'kysely'
import type { Database } from '../../src/db/database.js'
import { createMediaEntryRepository, type MediaEntryRepository } from '../../src/db/media-entry.repository.js'

/** A repository over the same database that records every statement it runs, for EXPLAIN. */
export function recordingRepository(database: Database): {
  repo: MediaEntryRepository
  take(): CompiledQuery[]
} {
  const { db } = database
  let captured: CompiledQuery[] = []
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      captured.push(db.getExecutor().compileQuery(args.node, args.queryId))
      return args.node
    },
    transformResult: async (args) => args.result,
  }
  return {
    repo: createMediaEntryRepository({ ...database, db: db.withPlugin(plugin) }),
    take() {
      const out = captured
      captured = []
      return out
    },
  }
}

/**
 * The plan of a statement as text lines. PostgreSQL plans with sequential scans disabled, so that a
 * small test table still shows whether an index can serve the query (a Seq Scan then means none can).
 */
export async function planOf(database: Database, query: CompiledQuery): Promise<string[]> {
  const { db, caps } = database
  if (caps.name === 'sqlite') {
    const result = await db.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`EXPLAIN QUERY PLAN ${query.sql}`, [...query.parameters]),
    )
    return result.rows.map((r) => r.detail)
  }
  return db.transaction().execute(async (trx) => {
    await trx.executeQuery(CompiledQuery.raw('ANALYZE media_entries'))
    await trx.executeQuery(CompiledQuery.raw('SET LOCAL enable_seqscan = off'))
    const result = await trx.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`EXPLAIN ${query.sql}`, [...query.parameters]),
    )
    return result.rows.map((r) => r['QUERY PLAN'])
  })
}

/** Plan lines that read a whole table instead of an index. */
export function fullScans(plan: readonly string[]): string[] {
  return plan.filter((line) => /Seq Scan/.test(line) || /^SCAN \w+$/.test(line.trim()))
}
