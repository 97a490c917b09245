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
export function createTokenService(deps: {
  tokens: TokenRepository
  projects: ProjectService
}): TokenService {
  const { tokens, projects } = deps
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
      const row = id ? await tokens.get(id) : undefined
      const expected = row ? Buffer.from(row.secretHash, 'hex') : DUMMY_HASH
      const matches = expected.length === 32 && timingSafeEqual(sha256(secret), expected)
      if (!row || !matches || row.revokedAt !== undefined) {
        throw new UnauthorizedError('The access token is invalid.')
      }
      return { tokenId: row.id, tokenName: row.name, project: row.project, scopes: new Set(row.scopes) }
    },

    list: async (project) => (await tokens.list(project)).map(info),
    revoke: (id) => tokens.revoke(id),
    count: () => tokens.count(),
  }
}
