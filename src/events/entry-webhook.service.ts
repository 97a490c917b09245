import { randomBytes } from 'node:crypto'
import type { EntryEventRepository, StoredEntryEvent } from '../db/entry-event.repository.js'
import type {
  EntryWebhook,
  EntryWebhookDelivery,
  EntryWebhookRepository,
} from '../db/entry-webhook.repository.js'
import { UsageError } from '../errors.js'
import { generateId } from '../media/ids.js'
import { ENTRY_EVENTS, isEntryEvent } from './entry-events.js'

const HANDLE = /^[a-z0-9][a-z0-9-]{0,62}$/

export interface EntryWebhookService {
  /**
   * Subscribes a project to entry events. Without `url`, a feed-only subscription: its events are kept for
   * `GET /events` and nothing is POSTed. Returns the signing secret, which is shown only this once.
   * Events of changes before this call are not delivered.
   */
  create(input: {
    project: string
    handle: string
    url?: string
    events: string[]
  }): Promise<{ webhook: EntryWebhook; secret: string }>
  list(project: string): Promise<EntryWebhook[]>
  delete(project: string, handle: string): Promise<boolean>
  deliveries(project: string, handle: string, limit: number): Promise<EntryWebhookDelivery[]>
}

export interface EntryEventFeed {
  /** The project's events after `after`, oldest first: one page of the pull feed. */
  list(project: string, after: number, limit: number): Promise<StoredEntryEvent[]>
}

export function createEntryWebhookService(deps: {
  webhooks: EntryWebhookRepository
  events: Pick<EntryEventRepository, 'lastSeq' | 'invalidate'>
  projectExists(project: string): Promise<boolean>
  now?: () => Date
}): EntryWebhookService {
  const now = deps.now ?? (() => new Date())
  const getOrFail = async (project: string, handle: string) => {
    const webhook = await deps.webhooks.get(project, handle)
    if (!webhook) throw new UsageError(`No webhook '${handle}' in project '${project}'`)
    return webhook
  }
  return {
    async create({ project, handle, url, events }) {
      if (!(await deps.projectExists(project))) throw new UsageError(`No project '${project}'`)
      if (!HANDLE.test(handle)) {
        throw new UsageError(`Invalid handle '${handle}': lower-case letters, digits and '-', at most 63`)
      }
      if (url !== undefined) {
        let parsed: URL
        try {
          parsed = new URL(url)
        } catch {
          throw new UsageError(`Invalid URL '${url}'`)
        }
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
          throw new UsageError(`The URL must be http or https: '${url}'`)
        }
      }
      const wanted = [...new Set(events.map((e) => (e.includes('.') ? e : `mediaLibraryEntry.${e}`)))]
      if (wanted.length === 0) throw new UsageError(`Give at least one event (${ENTRY_EVENTS.join(', ')})`)
      for (const e of wanted) {
        if (!isEntryEvent(e)) throw new UsageError(`Unknown event '${e}' (known: ${ENTRY_EVENTS.join(', ')})`)
      }
      const secret = randomBytes(32).toString('base64url')
      const webhook: EntryWebhook = {
        id: generateId(12).replaceAll('-', 'x'),
        project,
        handle,
        ...(url !== undefined ? { url } : {}),
        events: wanted,
        createdAt: now().toISOString(),
        cursor: await deps.events.lastSeq(project),
        attempts: 0,
      }
      if (!(await deps.webhooks.create({ ...webhook, secret, createdAt: now() }))) {
        throw new UsageError(`Project '${project}' already has a webhook '${handle}'`)
      }
      deps.events.invalidate(project)
      return { webhook, secret }
    },
    list: (project) => deps.webhooks.list(project),
    async delete(project, handle) {
      const deleted = await deps.webhooks.delete(project, handle)
      deps.events.invalidate(project)
      return deleted
    },
    async deliveries(project, handle, limit) {
      const webhook = await getOrFail(project, handle)
      return deps.webhooks.deliveries(webhook.id, limit)
    },
  }
}
