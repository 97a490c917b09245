import { notFound } from '../../errors.js'
import type { TokenService } from '../../projects/token.service.js'
import type { SourceService } from '../../sources/source.service.js'
import { principalOf, requireScope } from '../auth.js'
import { ApiVersionParams, bearerSecurity, described, errorResponses, scopeNote } from '../schemas/common.js'
import {
  ScanParams,
  SourceList,
  SourceParams,
  SourceScan,
  SourceScanList,
  StartScanBody,
} from '../schemas/sources.schemas.js'
import type { RoutePlugin } from '../type-provider.js'
import { checkApiVersion } from './context.js'

const READ = 'public-api:read'
const WRITE = 'public-api:write'

/**
 * `GET /api/:apiVersion/mediaLibrary/sources`, `…/sources/{handle}/scans` and `…/scans/{scanId}`: the
 * project's read-only sources and the state of their scans (issue #22); `POST …/sources/{handle}/scans`
 * queues a scan. Sources are added by the CLI (`medialib sources`).
 */
export function sourceRoutes(deps: { tokens: TokenService; sources: SourceService }): RoutePlugin {
  const { tokens, sources } = deps
  const read = requireScope(tokens, READ)
  const write = requireScope(tokens, WRITE)
  const sourceOrFail = async (project: string, handle: string) => {
    const source = (await sources.list(project)).find((s) => s.handle === handle)
    if (!source) throw notFound(`Source does not exist (handle: '${handle}')`)
    return source
  }
  return async (app) => {
    app.get(
      '/api/:apiVersion/mediaLibrary/sources',
      {
        onRequest: [checkApiVersion, read],
        schema: {
          tags: ['Sources'],
          operationId: 'listMediaLibrarySources',
          summary: 'The project’s read-only sources and their latest scans (medialib extension)',
          description:
            'Folders or buckets whose files are entries where they lie (`systemName` = the source handle, ' +
            '`externalId` = the path). Added and scanned with `medialib sources`.' +
            scopeNote(READ),
          security: bearerSecurity(READ),
          params: ApiVersionParams,
          response: {
            200: described(SourceList, 'The sources, by handle'),
            ...errorResponses(401, 403, 404),
          },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const list = await sources.list(project)
        return {
          sources: await Promise.all(
            list.map(async (s) => ({
              handle: s.handle,
              kind: s.kind,
              prefix: typeof s.options.prefix === 'string' ? s.options.prefix : '',
              copy: s.options.copy === true,
              mediaTypesByExtension: (s.options.mediaTypesByExtension ?? {}) as Record<string, string>,
              rescanEveryMs: s.rescanEveryMs ?? null,
              nextScanAt: s.nextScanAt ?? null,
              createdAt: s.createdAt,
              lastScan: (await sources.scans(project, s.handle, 1))[0] ?? null,
            })),
          ),
        }
      },
    )
    app.get(
      '/api/:apiVersion/mediaLibrary/sources/:handle/scans',
      {
        onRequest: [checkApiVersion, read],
        schema: {
          tags: ['Sources'],
          operationId: 'listMediaLibrarySourceScans',
          summary: 'A source’s latest scans (medialib extension)',
          description: 'Newest first, at most 20, each with its counts so far.' + scopeNote(READ),
          security: bearerSecurity(READ),
          params: SourceParams,
          response: {
            200: described(SourceScanList, 'The scans'),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        await sourceOrFail(project, request.params.handle)
        return { scans: await sources.scans(project, request.params.handle) }
      },
    )
    app.post(
      '/api/:apiVersion/mediaLibrary/sources/:handle/scans',
      {
        onRequest: [checkApiVersion, write],
        // No body is an empty one: every field is optional.
        preValidation: async (request) => {
          request.body ??= {}
        },
        schema: {
          tags: ['Sources'],
          operationId: 'startMediaLibrarySourceScan',
          summary: 'Queue a scan of a source (medialib extension)',
          description:
            'Queues a scan as `medialib sources scan` does (without a metadata file): new objects become ' +
            'entries, changed ones are re-probed, vanished ones are reported missing. The workers run it; ' +
            'answers at once with the queued scan, whose state `GET …/scans/{scanId}` follows.' +
            scopeNote(WRITE),
          security: bearerSecurity(WRITE),
          params: SourceParams,
          body: StartScanBody,
          response: { 202: described(SourceScan, 'The queued scan'), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { project } = principalOf(request)
        const { handle } = request.params
        await sourceOrFail(project, handle)
        const status = await sources.startScan(project, handle, request.body)
        return reply.code(202).send(status)
      },
    )
    app.get(
      '/api/:apiVersion/mediaLibrary/sources/:handle/scans/:scanId',
      {
        onRequest: [checkApiVersion, read],
        schema: {
          tags: ['Sources'],
          operationId: 'getMediaLibrarySourceScan',
          summary: 'The state of one scan of a source (medialib extension)',
          description:
            'Counts of objects created, updated, unchanged, missing and failed so far, the tasks still open ' +
            'and the failed objects with their reasons.' +
            scopeNote(READ),
          security: bearerSecurity(READ),
          params: ScanParams,
          response: { 200: described(SourceScan, 'The scan'), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const { handle, scanId } = request.params
        await sourceOrFail(project, handle)
        const status = await sources.scanStatus(project, handle, scanId)
        if (!status) throw notFound(`Scan does not exist (id: '${scanId}')`)
        return status
      },
    )
  }
}
