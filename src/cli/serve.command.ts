import { Command } from 'commander'
import { buildApp } from '../app.js'
import { createDeps } from '../deps.js'
import { DEFAULT_PROJECT } from '../projects/project.service.js'
import { databaseTarget } from './database-target.js'
import { configFrom, withCommonOptions } from './shared.js'
import { exitOnSignal } from './shutdown.js'
import { createLogger } from '../log.js'

/** Projects whose media types are compiled before the server listens (the rest on first use). */
const PRECOMPILED_PROJECTS = 100

function firstTokenBanner(token: string, baseUrl: string, databaseFlag: string): string {
  return [
    '',
    `A first API token for project '${DEFAULT_PROJECT}' (read and write). It is shown only this once:`,
    '',
    `  ${token}`,
    '',
    'Try it:',
    `  curl -s ${baseUrl}/api/v1/mediaLibrary?ids=custom-1 -H "Authorization: Bearer ${token}"`,
    '',
    `More tokens: npx medialib tokens create ${databaseFlag} --project default --scope public-api:read`,
    '',
  ].join('\n')
}

export function serveCommand(): Command {
  return withCommonOptions(
    new Command('serve')
      .description('run the HTTP server (migrates the database and creates the default project first)')
      .option('--host <host>', 'address to listen on (env MEDIALIB_HOST, default 127.0.0.1)')
      .option('--port <port>', 'port to listen on (env MEDIALIB_PORT, default 3000)'),
  ).action(async (options) => {
    const config = configFrom(options)
    // Like the admin commands, name the database first (serve creates it when there is none).
    process.stderr.write(`using ${databaseTarget(config).label}\n`)
    const logger = createLogger(config.logLevel)
    const deps = await createDeps(config, logger)
    await deps.projects.ensure(DEFAULT_PROJECT)
    let firstToken: string | undefined
    if ((await deps.tokens.count()) === 0) {
      firstToken = (
        await deps.tokens.create({
          project: DEFAULT_PROJECT,
          scopes: ['public-api:read', 'public-api:write'],
          name: 'first token',
        })
      ).token
    }
    const compiled = Date.now()
    const precompiled = await deps.projects.precompile(PRECOMPILED_PROJECTS)
    logger.debug({ projects: precompiled.compiled, ms: Date.now() - compiled }, 'media types compiled')
    for (const { project, error } of precompiled.failed) {
      logger.warn({ project, error }, `the media types of project '${project}' do not compile`)
    }
    const app = await buildApp(deps, { logger })
    const address = await app.listen({ host: config.host, port: config.port })
    // The in-process URL-import worker also resumes the jobs a previous run left unfinished.
    const worker = config.jobs.inProcessWorker ? deps.createWorker({ logger }) : undefined
    worker?.start()
    logger.info({ address, database: deps.databaseDescription }, `medialib listening on ${address}`)
    // Printed, not logged: the secret must not reach log files.
    if (firstToken) {
      const target = databaseTarget(config)
      const flag =
        target.kind === 'postgres'
          ? '--database "$MEDIALIB_DATABASE_URL"'
          : config.databaseUrl
            ? `--database sqlite:${target.file}`
            : `--data-dir ${config.dataDir}`
      process.stdout.write(`${firstTokenBanner(firstToken, address, flag)}\n`)
    }

    exitOnSignal(logger, 'shutting down', async () => {
      await app.close()
      await worker?.stop()
      await deps.close()
    })
  })
}
