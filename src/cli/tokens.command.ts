import { Command } from 'commander'
import { UsageError } from '../errors.js'
import { SCOPES } from '../projects/token.service.js'
import { printTable, withCommonOptions, withDeps } from './shared.js'

const collect = (value: string, previous: string[] = []) => [...previous, value]

export function tokensCommand(): Command {
  const tokens = new Command('tokens').description(
    'manage API tokens (stored hashed; the secret is shown once)',
  )

  withCommonOptions(
    tokens
      .command('create')
      .description('create a token and print it alone on stdout')
      .requiredOption('--project <handle>', 'the project the token belongs to')
      .requiredOption('--scope <scope>', `a scope, repeatable: ${SCOPES.join(', ')}`, collect)
      .option('--name <name>', 'a name to recognise the token by'),
  ).action(async (options) => {
    await withDeps(options, async ({ tokens: service }) => {
      const { token } = await service.create({
        project: options.project,
        scopes: options.scope,
        name: options.name,
      })
      process.stdout.write(`${token}\n`)
    })
  })

  withCommonOptions(
    tokens
      .command('list')
      .description('list tokens (never their secrets)')
      .option('--project <handle>', 'only this project'),
  ).action(async (options) => {
    await withDeps(options, async ({ tokens: service }) => {
      const rows = (await service.list(options.project)).map((t) => ({
        id: t.id,
        project: t.project,
        name: t.name,
        scopes: t.scopes.join(','),
        createdAt: t.createdAt,
        revokedAt: t.revokedAt ?? '',
      }))
      printTable(rows, ['id', 'project', 'name', 'scopes', 'createdAt', 'revokedAt'])
    })
  })

  withCommonOptions(
    tokens.command('revoke').description('revoke a token at once').argument('<id>', 'token id'),
  ).action(async (id: string, options) => {
    await withDeps(options, async ({ tokens: service }) => {
      if (!(await service.revoke(id))) throw new UsageError(`No active token with id '${id}'`)
      process.stdout.write(`revoked token ${id}\n`)
    })
  })
  return tokens
}
