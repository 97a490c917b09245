import type { CompiledQuery, KyselyPlugin } from 'kysely'
import type { Database } from '../../src/db/database.js'

/**
 * The database with every statement Kysely builds recorded, and the transactions it begins counted
 * (begin and commit themselves are not among the statements).
 */
export function recordingDatabase(database: Database): {
  database: Database
  captured: CompiledQuery[]
  transactions: () => number
} {
  const captured: CompiledQuery[] = []
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      captured.push(database.db.getExecutor().compileQuery(args.node, args.queryId))
      return args.node
    },
    transformResult: async (args) => args.result,
  }
  const db = database.db.withPlugin(plugin)
  let transactions = 0
  const begin = db.transaction.bind(db)
  db.transaction = () => {
    transactions++
    return begin()
  }
  return { database: { ...database, db }, captured, transactions: () => transactions }
}
