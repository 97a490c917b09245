#!/usr/bin/env -S node --max-semi-space-size=4
// The flag caps V8's young generation at 3 × 4 MB: an import (server or client) allocates fast and
// briefly, and the default 16 MB semi-spaces cost about 35 MB of resident memory for no speed gain
// (docs/performance.md). Processes started as `node dist/src/cli/main.js` should pass it too.
import { Command } from 'commander'
import { UsageError } from '../errors.js'
import { exportCommand } from './export.command.js'
import { importCommand } from './import.command.js'
import { debugRequested, explainOperatorError } from './operator-errors.js'

const program = new Command('medialib')
  .description('A self-hosted media library server that speaks the Livingdocs public API')
  .version('0.1.0')
  .option('--debug', 'print the stack trace of an error')

// `import` and `export` are clients of the HTTP API: they load without the server's modules (database
// drivers, sharp, S3), which would double their memory.
if (process.argv[2] === 'import' || process.argv[2] === 'export') {
  program.addCommand(importCommand()).addCommand(exportCommand())
} else {
  const { backupCommand, restoreCommand } = await import('./backup.command.js')
  const { migrateCommand } = await import('./migrate.command.js')
  const { projectsCommand } = await import('./projects.command.js')
  const { serveCommand } = await import('./serve.command.js')
  const { tokensCommand } = await import('./tokens.command.js')
  const { trashCommand } = await import('./trash.command.js')
  const { routinesCommand } = await import('./routines.command.js')
  const { sourcesCommand } = await import('./sources.command.js')
  const { webhooksCommand, workerCommand } = await import('./worker.command.js')
  program
    .addCommand(serveCommand())
    .addCommand(migrateCommand())
    .addCommand(projectsCommand())
    .addCommand(tokensCommand())
    .addCommand(trashCommand())
    .addCommand(routinesCommand())
    .addCommand(workerCommand())
    .addCommand(webhooksCommand())
    .addCommand(sourcesCommand())
    .addCommand(backupCommand())
    .addCommand(restoreCommand())
    .addCommand(importCommand())
    .addCommand(exportCommand())
}

program.parseAsync(process.argv).catch((err: unknown) => {
  const debug = debugRequested(process.argv, process.env)
  const plain = err instanceof UsageError ? err.message : explainOperatorError(err)
  if (plain !== undefined && !debug) {
    process.stderr.write(`medialib: ${plain}\n`)
  } else if (err instanceof Error) {
    process.stderr.write(`medialib: ${debug ? (err.stack ?? err.message) : err.message}\n`)
    if (!debug) process.stderr.write('(run again with --debug for the stack trace)\n')
  } else {
    process.stderr.write(`medialib: ${String(err)}\n`)
  }
  process.exit(1)
})
