import { Command } from 'commander'
import { migrateToLatest, openDatabase } from '../db/database.js'
import { configFrom, withCommonOptions } from './shared.js'

export function migrateCommand(): Command {
  return withCommonOptions(
    new Command('migrate').description('bring the database schema up to date, then exit'),
  ).action(async (options) => {
    const config = configFrom(options)
    const database = openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 })
    try {
      const applied = await migrateToLatest(database)
      process.stdout.write(
        applied.length > 0 ? `applied: ${applied.join(', ')}\n` : `${database.description} is up to date\n`,
      )
    } finally {
      await database.close()
    }
  })
}
