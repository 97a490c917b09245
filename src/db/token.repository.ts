import type { Database } from './database.js'

export interface TokenRow {
  id: string
  project: string
  name: string
  scopes: string[]
  secretHash: string
  createdAt: string
  revokedAt?: string
}

export interface TokenRepository {
  create(row: Omit<TokenRow, 'createdAt' | 'revokedAt'>): Promise<TokenRow>
  get(id: string): Promise<TokenRow | undefined>
  list(project?: string): Promise<TokenRow[]>
  count(): Promise<number>
  /** Marks the token revoked; returns false when no active token has that id. */
  revoke(id: string): Promise<boolean>
}

export function createTokenRepository({ db, caps }: Database): TokenRepository {
  const fromRow = (row: {
    id: string
    project: string
    name: string
    scopes: string
    secret_hash: string
    created_at: unknown
    revoked_at: unknown
  }): TokenRow => {
    const token: TokenRow = {
      id: row.id,
      project: row.project,
      name: row.name,
      scopes: row.scopes.split(' ').filter(Boolean),
      secretHash: row.secret_hash,
      createdAt: caps.fromTime(row.created_at),
    }
    if (row.revoked_at !== null && row.revoked_at !== undefined)
      token.revokedAt = caps.fromTime(row.revoked_at)
    return token
  }
  return {
    async create(row) {
      const createdAt = new Date()
      await db
        .insertInto('api_tokens')
        .values({
          id: row.id,
          project: row.project,
          name: row.name,
          scopes: row.scopes.join(' '),
          secret_hash: row.secretHash,
          created_at: caps.toTime(createdAt),
          revoked_at: null,
        })
        .execute()
      return { ...row, createdAt: createdAt.toISOString() }
    },
    async get(id) {
      const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst()
      return row ? fromRow(row) : undefined
    },
    async list(project) {
      let query = db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('id')
      if (project !== undefined) query = query.where('project', '=', project)
      return (await query.execute()).map(fromRow)
    },
    async count() {
      const row = await db
        .selectFrom('api_tokens')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
    async revoke(id) {
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at: caps.toTime(new Date()) })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },
  }
}
