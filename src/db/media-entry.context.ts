import type { Database, Db } from './database.js'
import type { DialectCaps } from './dialect.js'
import type { EntryOutbox } from './entry-event.repository.js'

/** What the media entry repository's parts share: made once per repository by createMediaEntryRepository. */
export interface MediaEntryContext {
  readonly database: Database
  readonly db: Db
  readonly caps: DialectCaps
  readonly outbox: EntryOutbox | undefined
  /** The entry events some webhook of the project subscribes to (none without an outbox). */
  readonly subscribed: (project: string) => Promise<ReadonlySet<string>> | ReadonlySet<string>
  /** Rows per insert statement on SQLite (its bind-parameter limit). */
  readonly chunkSize: number
  /** Ids per `IN (…)` lookup. */
  readonly lookupChunk: number
}
