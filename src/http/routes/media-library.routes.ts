import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.js'
import { BadRequestError } from '../../errors.js'
import type { LibraryService } from '../../media/library.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { presentEntry, presentList } from '../api-versions.js'
import { principalOf, requireScope } from '../auth.js'
import { ApiVersionParams, bearerSecurity, ErrorEnvelope } from '../schemas/common.js'
import { EntryIdParams, listQuerySchema } from '../schemas/media-library.schemas.js'
import { checkApiVersion, versionOf } from './context.js'

export interface MediaLibraryRoutesDeps {
  config: Config
  tokens: TokenService
  library: LibraryService
}

function splitList(value: string | undefined): string[] {
  if (value === undefined) return []
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/** Reads: one entry by id; several by ids or by (systemName, externalIds). */
export function mediaLibraryRoutes(deps: MediaLibraryRoutesDeps): FastifyPluginAsync {
  const { config, tokens, library } = deps
  const maxIds = config.limits.idsPerRequest
  return async (app) => {
    const auth = [checkApiVersion, requireScope(tokens, 'public-api:read')]

    app.get(
      '/api/:apiVersion/mediaLibrary/:id',
      {
        onRequest: auth,
        schema: {
          tags: ['Media Library'],
          summary: 'Get a single media library entry',
          security: bearerSecurity('public-api:read'),
          params: EntryIdParams,
          response: { 401: ErrorEnvelope, 403: ErrorEnvelope, 404: ErrorEnvelope },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const { id } = request.params as { id: string }
        return presentEntry(await library.getOrFail(project, id))
      },
    )

    app.get(
      '/api/:apiVersion/mediaLibrary',
      {
        onRequest: auth,
        schema: {
          tags: ['Media Library'],
          summary: 'Get media library entries by ids, or by externalId and systemName',
          security: bearerSecurity('public-api:read'),
          params: ApiVersionParams,
          querystring: listQuerySchema(maxIds),
          response: { 400: ErrorEnvelope, 401: ErrorEnvelope, 403: ErrorEnvelope },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const version = versionOf(request)
        const query = request.query as {
          ids?: string
          externalId?: string
          externalIds?: string
          systemName?: string
        }
        const ids = splitList(query.ids)
        const externalIds = [...splitList(query.externalId), ...splitList(query.externalIds)]
        if (ids.length > maxIds || externalIds.length > maxIds) {
          throw new BadRequestError({ message: `At most ${maxIds} ids or externalIds per request` })
        }
        if (ids.length > 0 && externalIds.length > 0) {
          throw new BadRequestError({ message: 'Give either ids, or externalId with systemName, not both' })
        }
        if (externalIds.length > 0) {
          if (!query.systemName) {
            throw new BadRequestError({ systemName: 'is required with externalId' })
          }
          const entries = await library.listByExternalIds(project, query.systemName, externalIds)
          return presentList(entries.map(presentEntry), version)
        }
        if (ids.length === 0) {
          throw new BadRequestError({ message: 'Give ids, or externalId with systemName' })
        }
        const entries = await library.listByIds(project, ids)
        return presentList(entries.map(presentEntry), version)
      },
    )
  }
}
