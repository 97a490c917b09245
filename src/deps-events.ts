// Entry webhooks and deletion routines (issue #16): wiring that deps.ts, the composition root, calls.
import type { Database } from './db/database.js'
import { createDeletionRoutineRepository } from './db/deletion-routine.repository.js'
import type { EntryEventRepository } from './db/entry-event.repository.js'
import type { EntryWebhookRepository } from './db/entry-webhook.repository.js'
import { actingAs, type ActorContext } from './events/actor-context.js'
import { createEntryWebhookService } from './events/entry-webhook.service.js'
import { createEntryWebhookDeliverer } from './events/webhook-delivery.js'
import type { SafeFetcher } from './jobs/safe-fetcher.js'
import { createDeletionRoutineService } from './media/deletion-routines.service.js'
import type { TrashService } from './media/trash.service.js'
import type { ProjectService } from './projects/project.service.js'

/** Entry webhooks and deletion routines (issue #16): the webhooks service, its deliverer, the routines. */
export function createEntryEventDeps(parts: {
  database: Database
  entryWebhookRepository: EntryWebhookRepository
  entryEvents: EntryEventRepository
  projects: ProjectService
  fetcher: SafeFetcher
  retryBaseMs: number
  actors: ActorContext
  trash: TrashService
}) {
  const { database, entryWebhookRepository, entryEvents, projects, fetcher, retryBaseMs, actors, trash } =
    parts
  const entryWebhooks = createEntryWebhookService({
    webhooks: entryWebhookRepository,
    events: entryEvents,
    projectExists: async (project) => (await projects.get(project)) !== undefined,
  })
  const entryWebhookDeliverer = createEntryWebhookDeliverer({
    webhooks: entryWebhookRepository,
    events: entryEvents,
    fetcher,
    retryBaseMs,
  })
  const deletionRoutines = createDeletionRoutineService({
    candidates: createDeletionRoutineRepository(database),
    projects,
    // Routines delete as a user of their own name in the entry events.
    trash: actingAs(actors, { type: 'user', name: 'deletion-routine' }, trash),
  })
  return { entryWebhooks, entryWebhookDeliverer, deletionRoutines }
}
