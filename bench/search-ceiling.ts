/**
 * The raw-database ceiling of the search benchmark: the very statements medialib ran for a request
 * (captured through the database's `onQuery` hook), replayed on the bare driver with no HTTP, auth
 * code, validation or JSON: better-sqlite3 on the same file with medialib's cache size and one prepared
 * statement per SQL text, or one `pg` client. What is left is the database's own time for the request.
 */
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type SQLite from 'better-sqlite3'
import type { CompiledQuery } from 'kysely'
import pg from 'pg'
import { SQLITE_FILE_NAME } from '../src/db/database.js'
import type { Config } from '../src/config.js'
import { openRawSqlite } from './import-ceiling.js'

export interface Replayer {
  /** Runs the statements one after the other and returns the elapsed milliseconds. */
  run(statements: readonly CompiledQuery[]): Promise<number>
  close(): Promise<void>
}

export async function openReplayer(config: Config): Promise<Replayer> {
  if (config.databaseUrl) {
    const client = new pg.Client({ connectionString: config.databaseUrl })
    await client.connect()
    return {
      async run(statements) {
        const start = performance.now()
        for (const q of statements) await client.query(q.sql, q.parameters as unknown[])
        return performance.now() - start
      },
      close: () => client.end(),
    }
  }
  const sqlite = openRawSqlite(path.join(config.dataDir, SQLITE_FILE_NAME), true)
  const prepared = new Map<string, SQLite.Statement>()
  return {
    async run(statements) {
      const start = performance.now()
      for (const q of statements) {
        let statement = prepared.get(q.sql)
        if (!statement) prepared.set(q.sql, (statement = sqlite.prepare(q.sql)))
        const params = q.parameters as unknown[]
        if (statement.reader) statement.all(...params)
        else statement.run(...params)
      }
      return performance.now() - start
    },
    close: async () => {
      sqlite.close()
    },
  }
}
