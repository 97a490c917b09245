import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Database } from './database.js'

/** A cached variant: where it is and what it weighs. */
export interface CachedVariant {
  project: string
  key: string
  bytes: number
}

/** A project's variant URL signing settings. */
export interface ImageSigning {
  secret: string
  requireSignature: boolean
  /** The project's own allow-list (sizes, formats); undefined where the server's applies. */
  allowedSizes?: number[]
  allowedFormats?: string[]
}

/** A change of the signing settings; `null` for an allow-list returns to the server's. */
export interface ImageSigningChange {
  requireSignature?: boolean
  rotate?: boolean
  allowedSizes?: number[] | null
  allowedFormats?: string[] | null
}

/** The bookkeeping of the variant cache and the per-project signing secrets (migration 0009). */
export interface ImageVariantRepository {
  /** Records a stored variant (or refreshes its size and access time). */
  record(variant: CachedVariant, now: number): Promise<void>
  /** Marks variants as used at `now`. */
  touch(project: string, keys: string[], now: number): Promise<void>
  totalBytes(): Promise<number>
  /** The least recently used variants, oldest first. */
  oldest(limit: number): Promise<CachedVariant[]>
  forget(project: string, key: string): Promise<void>
  /** The project's signing settings; a secret is made on first use. */
  signing(project: string): Promise<ImageSigning>
  /** Sets whether the project requires a signature; a new secret with `rotate`. */
  updateSigning(project: string, change: ImageSigningChange): Promise<ImageSigning>
}

const newSecret = () => randomBytes(32).toString('hex')

export function createImageVariantRepository({ db }: Database): ImageVariantRepository {
  const signing = async (project: string): Promise<ImageSigning> => {
    await db
      .insertInto('image_signing')
      .values({ project, secret: newSecret() })
      .onConflict((oc) => oc.column('project').doNothing())
      .execute()
    const row = await db
      .selectFrom('image_signing')
      .select(['secret', 'require_signature', 'allowed_sizes', 'allowed_formats'])
      .where('project', '=', project)
      .executeTakeFirstOrThrow()
    return {
      secret: row.secret,
      requireSignature: Number(row.require_signature) === 1,
      ...(row.allowed_sizes !== null ? { allowedSizes: JSON.parse(row.allowed_sizes) as number[] } : {}),
      ...(row.allowed_formats !== null
        ? { allowedFormats: JSON.parse(row.allowed_formats) as string[] }
        : {}),
    }
  }
  return {
    async record(variant, now) {
      await db
        .insertInto('image_variants')
        .values({ ...variant, last_access: now })
        .onConflict((oc) =>
          oc.columns(['project', 'key']).doUpdateSet({ bytes: variant.bytes, last_access: now }),
        )
        .execute()
    },
    async touch(project, keys, now) {
      if (keys.length === 0) return
      await db
        .updateTable('image_variants')
        .set({ last_access: now })
        .where('project', '=', project)
        .where('key', 'in', keys)
        .execute()
    },
    async totalBytes() {
      const row = await db
        .selectFrom('image_variants')
        .select(sql<number | string | null>`sum(bytes)`.as('total'))
        .executeTakeFirst()
      return Number(row?.total ?? 0)
    },
    async oldest(limit) {
      const rows = await db
        .selectFrom('image_variants')
        .select(['project', 'key', 'bytes'])
        .orderBy('last_access')
        .orderBy('key')
        .limit(limit)
        .execute()
      return rows.map((r) => ({ project: r.project, key: r.key, bytes: Number(r.bytes) }))
    },
    async forget(project, key) {
      await db.deleteFrom('image_variants').where('project', '=', project).where('key', '=', key).execute()
    },
    signing,
    async updateSigning(project, change) {
      await signing(project)
      const set: {
        require_signature?: number
        secret?: string
        allowed_sizes?: string | null
        allowed_formats?: string | null
      } = {}
      if (change.requireSignature !== undefined) set.require_signature = change.requireSignature ? 1 : 0
      if (change.rotate) set.secret = newSecret()
      const json = (list: unknown[] | null) => (list === null ? null : JSON.stringify(list))
      if (change.allowedSizes !== undefined) set.allowed_sizes = json(change.allowedSizes)
      if (change.allowedFormats !== undefined) set.allowed_formats = json(change.allowedFormats)
      if (Object.keys(set).length > 0)
        await db.updateTable('image_signing').set(set).where('project', '=', project).execute()
      return signing(project)
    },
  }
}
