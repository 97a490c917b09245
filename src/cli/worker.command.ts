import { Command } from 'commander'
import { entryWebhookCommands } from './entry-webhooks.command.js'
import { createDeps } from '../deps.js'
import { UsageError } from '../errors.js'
import { announceDatabase } from './database-target.js'
import { configFrom, withCommonOptions, withDeps, type AdminFlags } from './shared.js'
import { exitOnSignal } from './shutdown.js'
import { createLogger } from '../log.js'

/**
 * `medialib worker`: runs URL-import workers in this process, without the HTTP server. Any number of
 * them may run against one PostgreSQL database (they claim items with FOR UPDATE SKIP LOCKED); on SQLite,
 * workers on the same machine share the file.
 */
export function workerCommand(): Command {
  return withCommonOptions(
    new Command('worker')
      .description('run URL-import workers (fetch, probe, store, create or update entries; send webhooks)')
      .option('--concurrency <n>', 'items processed at once (env MEDIALIB_WORKER_CONCURRENCY, default 4)'),
  ).action(async (options: AdminFlags & { concurrency?: string }) => {
    const config = configFrom(options)
    // A worker may start before its database server (as serve may): it waits up to 30 s, as serve does.
    await announceDatabase(config, { init: options.init ?? false, waitSeconds: 30 })
    const logger = createLogger(config.logLevel)
    const concurrency =
      options.concurrency === undefined ? config.jobs.workerConcurrency : Number(options.concurrency)
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new UsageError('--concurrency must be a positive integer')
    const deps = await createDeps(config, logger)
    const worker = deps.createWorker({ concurrency, logger })
    worker.start()
    logger.info(
      { worker: worker.id, concurrency, database: deps.databaseDescription },
      'medialib worker started',
    )
    exitOnSignal(logger, 'worker stopping after the items in progress', async () => {
      await worker.stop()
      await deps.close()
    })
  })
}

/** `medialib webhooks secret --project P`: prints the secret that signs the project's import webhooks. */
export function webhooksCommand(): Command {
  const webhooks = new Command('webhooks').description('entry webhooks, and the URL-import webhooks’ secret')
  for (const command of entryWebhookCommands()) webhooks.addCommand(command)
  return webhooks.addCommand(
    withCommonOptions(
      new Command('secret')
        .description('print the project’s webhook signing secret (x-medialib-signature: sha256=HMAC(body))')
        .requiredOption('--project <handle>', 'project handle'),
    ).action(async (options: AdminFlags & { project: string }) => {
      await withDeps(options, async (deps) => {
        if (!(await deps.projects.get(options.project)))
          throw new UsageError(`No project '${options.project}'`)
        process.stdout.write(`${await deps.urlImports.webhookSecret(options.project)}\n`)
      })
    }),
  )
}
