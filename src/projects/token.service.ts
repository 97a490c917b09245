import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { TokenRepository, TokenRow } from '../db/token.repository.js'
import { UnauthorizedError, UsageError } from '../errors.js'
import { generateId } from '../media/ids.js'
import type { ProjectService } from './project.service.js'

/** `media-library:delete` (medialib's) is not implied by write: migration tokens cannot delete. */
export const SCOPES = ['public-api:read', 'public-api:write', 'media-library:delete'] as const
export type Scope = (typeof SCOPES)[number]

/** Who is calling: the token's project and scopes. */
export interface Principal {
  tokenId: string
  /** The token's name (entry events name the API client by it). */
  tokenName?: string
  project: string
  scopes: ReadonlySet<string>
}

/** A token as listed: everything but the secret. */
export type TokenInfo = Omit<TokenRow, 'secretHash'>

const PREFIX = 'ml_'
const sha256 = (text: string) => createHash('sha256').update(text).digest()
// Compared against when the token id is unknown, so that both paths cost one hash and one comparison.
const DUMMY_HASH = sha256('medialib-dummy-secret')

export interface TokenService {
  /** Creates a token; the returned `token` is the only time the secret exists outside the caller. */
  create(input: {
    project: string
    scopes: string[]
    name?: string
  }): Promise<{ token: string; info: TokenInfo }>
  /** Resolves a bearer token to its principal, or throws 401. */
  authenticate(bearer: string | undefined): Promise<Principal>
  list(project?: string): Promise<TokenInfo[]>
  revoke(id: string): Promise<boolean>
  count(): Promise<number>
}

const info = ({ secretHash: _secret, ...rest }: TokenRow): TokenInfo => rest

/**
 * Tokens look like `ml_<id>_<secret>`. The id finds the row; the secret (256 random bits) is stored only
 * as its SHA-256 and compared with `timingSafeEqual`. A fast hash is right here: the secret has full
 * entropy, so there is nothing for a slow hash to protect against.
 */
/**
 * How long a looked-up token row is reused without asking the database again (docs/api.md): a token revoked
 * by another process (the CLI, another server) is refused within this bound; revoked through this service,
 * at once.
 */
export const TOKEN_CACHE_MS = 2_000
const TOKEN_CACHE_ROWS = 1_000

export function createTokenService(deps: {
  tokens: TokenRepository
  projects: ProjectService
  /** Overrides TOKEN_CACHE_MS (0: no cache). */
  cacheMs?: number
  now?: () => number
}): TokenService {
  const { tokens, projects } = deps
  const cacheMs = deps.cacheMs ?? TOKEN_CACHE_MS
  const now = deps.now ?? Date.now
  // Token id → its row (or none) and when it was read; the secret is still hashed and compared every time.
  const rows = new Map<string, { at: number; row: TokenRow | undefined }>()
  const lookup = async (id: string) => {
    const hit = rows.get(id)
    if (hit && now() - hit.at < cacheMs) return hit.row
    const row = await tokens.get(id)
    if (cacheMs > 0) {
      rows.delete(id)
      if (rows.size >= TOKEN_CACHE_ROWS) rows.delete(rows.keys().next().value!)
      rows.set(id, { at: now(), row })
    }
    return row
  }
  return {
    async create({ project, scopes, name }) {
      if (!(await projects.get(project))) throw new UsageError(`No project '${project}'`)
      if (scopes.length === 0) throw new UsageError(`Give at least one scope (${SCOPES.join(', ')})`)
      for (const scope of scopes) {
        if (!(SCOPES as readonly string[]).includes(scope)) {
          throw new UsageError(`Unknown scope '${scope}' (known: ${SCOPES.join(', ')})`)
        }
      }
      const id = generateId(12).replaceAll('-', 'x')
      const secret = randomBytes(32).toString('base64url')
      const row = await tokens.create({
        id,
        project,
        name: name ?? `token ${id}`,
        scopes: [...new Set(scopes)],
        secretHash: sha256(secret).toString('hex'),
      })
      return { token: `${PREFIX}${id}_${secret}`, info: info(row) }
    },

    async authenticate(bearer) {
      if (!bearer) throw new UnauthorizedError('The access token is missing.')
      const body = bearer.startsWith(PREFIX) ? bearer.slice(PREFIX.length) : ''
      const cut = body.indexOf('_')
      const id = cut > 0 ? body.slice(0, cut) : ''
      const secret = cut > 0 ? body.slice(cut + 1) : bearer
      const row = id ? await lookup(id) : undefined
      const expected = row ? Buffer.from(row.secretHash, 'hex') : DUMMY_HASH
      const matches = expected.length === 32 && timingSafeEqual(sha256(secret), expected)
      if (!row || !matches || row.revokedAt !== undefined) {
        throw new UnauthorizedError('The access token is invalid.')
      }
      return { tokenId: row.id, tokenName: row.name, project: row.project, scopes: new Set(row.scopes) }
    },

    list: async (project) => (await tokens.list(project)).map(info),
    revoke: (id) => {
      rows.delete(id)
      return tokens.revoke(id)
    },
    count: () => tokens.count(),
  }
}
