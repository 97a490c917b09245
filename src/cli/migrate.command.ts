import { Command } from 'commander'
import { migrateDatabase } from '../deps.js'
import { announceDatabase } from './database-target.js'
import { configFrom, withCommonOptions } from './shared.js'

export function migrateCommand(): Command {
  return withCommonOptions(
    new Command('migrate').description('bring the database schema up to date, then exit'),
  ).action(async (options) => {
    const config = configFrom(options)
    // Like serve, migrate exists to create and update the schema: it needs no --init.
    await announceDatabase(config, { init: true })
    const { applied, description } = await migrateDatabase(config)
    process.stdout.write(
      applied.length > 0 ? `applied: ${applied.join(', ')}\n` : `${description} is up to date\n`,
    )
  })
}
