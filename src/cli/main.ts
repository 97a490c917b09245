#!/usr/bin/env node
import { Command } from 'commander'
import { UsageError } from '../errors.js'
import { exportCommand } from './export.command.js'
import { importCommand } from './import.command.js'

const program = new Command('medialib')
  .description('A self-hosted media library server that speaks the Livingdocs public API')
  .version('0.1.0')

// `import` and `export` are clients of the HTTP API: they load without the server's modules (database
// drivers, sharp, S3), which would double their memory.
if (process.argv[2] === 'import' || process.argv[2] === 'export') {
  program.addCommand(importCommand()).addCommand(exportCommand())
} else {
  const { migrateCommand } = await import('./migrate.command.js')
  const { projectsCommand } = await import('./projects.command.js')
  const { serveCommand } = await import('./serve.command.js')
  const { tokensCommand } = await import('./tokens.command.js')
  const { webhooksCommand, workerCommand } = await import('./worker.command.js')
  program
    .addCommand(serveCommand())
    .addCommand(migrateCommand())
    .addCommand(projectsCommand())
    .addCommand(tokensCommand())
    .addCommand(workerCommand())
    .addCommand(webhooksCommand())
    .addCommand(importCommand())
    .addCommand(exportCommand())
}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`medialib: ${err.message}\n`)
  } else {
    process.stderr.write(`medialib: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  }
  process.exit(1)
})
