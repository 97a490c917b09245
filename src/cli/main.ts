#!/usr/bin/env node
import { Command } from 'commander'
import { UsageError } from '../errors.js'
import { exportCommand } from './export.command.js'
import { importCommand } from './import.command.js'
import { migrateCommand } from './migrate.command.js'
import { projectsCommand } from './projects.command.js'
import { serveCommand } from './serve.command.js'
import { tokensCommand } from './tokens.command.js'

const program = new Command('medialib')
  .description('A self-hosted media library server that speaks the Livingdocs public API')
  .version('0.1.0')
  .addCommand(serveCommand())
  .addCommand(migrateCommand())
  .addCommand(projectsCommand())
  .addCommand(tokensCommand())
  .addCommand(importCommand())
  .addCommand(exportCommand())

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`medialib: ${err.message}\n`)
  } else {
    process.stderr.write(`medialib: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  }
  process.exit(1)
})
