import { Command } from 'commander'
import { UsageError } from '../errors.js'
import { ENTRY_EVENTS } from '../events/entry-events.js'
import { printTable, withCommonOptions, withDeps, type AdminFlags } from './shared.js'

type ProjectFlags = AdminFlags & { project: string }

/**
 * `medialib webhooks create|list|delete|deliveries`: a project's entry webhooks (issue #16). Added to the
 * `webhooks` command beside `secret` (the URL-import webhooks' secret).
 */
export function entryWebhookCommands(): Command[] {
  const create = withCommonOptions(
    new Command('create')
      .description('subscribe a URL to entry events; prints the signing secret once')
      .requiredOption('--project <handle>', 'project handle')
      .requiredOption('--handle <handle>', 'the webhook’s name in the project')
      .option('--url <url>', 'where events are POSTed (without: feed only, events kept for GET /events)')
      .requiredOption(
        '--events <list>',
        `comma-separated: ${ENTRY_EVENTS.map((e) => e.split('.')[1]).join(',')}`,
      ),
  ).action(async (options: ProjectFlags & { handle: string; url?: string; events: string }) => {
    await withDeps(options, async ({ entryWebhooks }) => {
      const events = options.events
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '')
      const { webhook, secret } = await entryWebhooks.create({
        project: options.project,
        handle: options.handle,
        ...(options.url !== undefined ? { url: options.url } : {}),
        events,
      })
      process.stdout.write(
        `Webhook '${webhook.handle}' of project '${webhook.project}': ${webhook.events.join(', ')}\n` +
          `Its signing secret (x-medialib-signature: sha256=HMAC-SHA256(body)). It is shown only this once:\n\n` +
          `  ${secret}\n`,
      )
    })
  })

  const list = withCommonOptions(
    new Command('list')
      .description('list a project’s entry webhooks with their delivery state')
      .requiredOption('--project <handle>', 'project handle'),
  ).action(async (options: ProjectFlags) => {
    await withDeps(options, async ({ entryWebhooks }) => {
      const rows = (await entryWebhooks.list(options.project)).map((w) => ({
        handle: w.handle,
        url: w.url ?? '(feed only)',
        events: w.events.map((e) => e.split('.')[1]).join(','),
        cursor: String(w.cursor),
        attempts: String(w.attempts),
        lastError: w.lastError ?? '',
      }))
      printTable(rows, ['handle', 'url', 'events', 'cursor', 'attempts', 'lastError'])
    })
  })

  const remove = withCommonOptions(
    new Command('delete')
      .description('delete an entry webhook')
      .requiredOption('--project <handle>', 'project handle')
      .requiredOption('--handle <handle>', 'the webhook'),
  ).action(async (options: ProjectFlags & { handle: string }) => {
    await withDeps(options, async ({ entryWebhooks }) => {
      if (!(await entryWebhooks.delete(options.project, options.handle))) {
        throw new UsageError(`No webhook '${options.handle}' in project '${options.project}'`)
      }
      process.stdout.write(`deleted webhook '${options.handle}'\n`)
    })
  })

  const deliveries = withCommonOptions(
    new Command('deliveries')
      .description('a webhook’s deliveries, newest first (delivered, or failed after every retry)')
      .requiredOption('--project <handle>', 'project handle')
      .requiredOption('--handle <handle>', 'the webhook')
      .option('--limit <n>', 'at most this many', '100'),
  ).action(async (options: ProjectFlags & { handle: string; limit: string }) => {
    const limit = Number(options.limit)
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError('--limit must be a whole number of 1 or more')
    await withDeps(options, async ({ entryWebhooks }) => {
      const rows = (await entryWebhooks.deliveries(options.project, options.handle, limit)).map((d) => ({
        deliveryId: d.deliveryId,
        event: d.event,
        mediaId: d.mediaId,
        state: d.state,
        attempts: String(d.attempts),
        at: d.at,
        lastError: d.lastError ?? '',
      }))
      printTable(rows, ['deliveryId', 'event', 'mediaId', 'state', 'attempts', 'at', 'lastError'])
    })
  })
  return [create, list, remove, deliveries]
}
