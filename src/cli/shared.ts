import type { Command } from 'commander'
import pino, { type Logger } from 'pino'
import type { Config } from '../config.js'
import { loadConfig, type ConfigFlags } from '../config-load.js'
import { createDeps } from '../deps.js'
import type { Services } from '../services.js'
import { announceDatabase } from './database-target.js'

/** Adds the options every command takes. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory (env MEDIALIB_DATA_DIR, default ./data)')
    .option(
      '--database <url>',
      'postgres://… or sqlite:PATH (env MEDIALIB_DATABASE_URL; default SQLite in the data directory)',
    )
    .option('--config <file>', 'config file, YAML or JSON (env MEDIALIB_CONFIG)')
    .option('--init', 'create the database when there is none yet (serve always does)')
}

export function configFrom(options: ConfigFlags): Config {
  return loadConfig(options)
}

/** A logger for admin commands: warnings and errors to stderr, so stdout stays clean for output. */
export function cliLogger(): Logger {
  return pino({ level: 'warn' }, pino.destination(2))
}

/** Options of the admin commands: where the database is, and whether a new one may be created. */
export type AdminFlags = ConfigFlags & { init?: boolean }

/**
 * Runs `fn` with the dependencies open, and closes them afterwards. Names the database first, and
 * refuses one that does not exist yet unless `--init`.
 */
export async function withDeps<T>(options: AdminFlags, fn: (deps: Services) => Promise<T>): Promise<T> {
  const config = configFrom(options)
  await announceDatabase(config, { init: options.init ?? false })
  const deps = await createDeps(config, cliLogger())
  try {
    return await fn(deps)
  } finally {
    await deps.close()
  }
}

/** Prints rows as aligned columns. */
export function printTable(rows: Record<string, string>[], columns: string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n')
    return
  }
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  process.stdout.write(`${line(columns.map((c) => c.toUpperCase()))}\n`)
  for (const row of rows) process.stdout.write(`${line(columns.map((c) => row[c] ?? ''))}\n`)
}
