import type { FileStore } from '@tus/file-store'
import { Server } from '@tus/server'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { AsyncLocalStorage } from 'node:async_hooks'
import { Readable } from 'node:stream'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import type { TusUploadRegistry } from '../../media/upload/upload.service.js'
import type { UploadService } from '../../media/upload/upload.service.js'
import type { TokenService } from '../../projects/token.service.js'
import type { ApiVersion } from '../api-versions.js'
import { principalOf, requireScope } from '../auth.js'
import {
  ApiVersion as ApiVersionParam,
  bearerSecurity,
  described,
  emptyResponse,
  ErrorEnvelope,
} from '../schemas/common.js'
import { withHeaders } from '../openapi.js'
import { envelopeOf, notFound, refusal, requestOf, tusError } from '../tus-metadata.js'
import { checkApiVersion, versionOf } from './context.js'

export interface TusRoutesDeps {
  config: Config
  tokens: TokenService
  uploads: UploadService
  tusUploads: TusUploadRegistry
  tusStore: FileStore
}

export const ENTRY_ID_HEADER = 'Medialib-Entry-Id'
/** On the final PATCH when the project already held the bytes (duplicate policy `skip`): the id is that entry's. */
export const DUPLICATE_HEADER = 'Medialib-Duplicate'

const UploadIdParams = Type.Object({
  apiVersion: ApiVersionParam,
  uploadId: Type.String({ pattern: '^[0-9a-f]{32}$', description: 'The upload id (from Location)' }),
})

const UploadCreated = Type.Object(
  { url: Type.String({ description: 'The upload URL (as Location)' }) },
  { additionalProperties: false },
)

const TUS_HEADERS = { 'Tus-Resumable': 'The tus version, 1.0.0' }
const tusEmpty = (description: string, headers: Record<string, string> = {}) =>
  emptyResponse(description, { ...TUS_HEADERS, ...headers })
const errorDoc = (description: string) => described(ErrorEnvelope, description)

/**
 * Resumable uploads (tus 1.0 with creation, termination and expiration) at `/api/:apiVersion/uploads`,
 * served by @tus/server. Every request is authenticated by Fastify first; an upload belongs to the
 * project that created it, and other projects get 404 for it. When the last byte arrives the file goes
 * through the upload service (restrictions, duplicates, probe, blob store) and the final PATCH answers
 * `Medialib-Entry-Id`, or the import's error body.
 */
export function tusRoutes(deps: TusRoutesDeps): FastifyPluginAsync {
  const { config, tokens, uploads, tusUploads, tusStore } = deps
  const context = new AsyncLocalStorage<{ project: string; version: ApiVersion }>()
  const current = () => {
    const store = context.getStore()
    if (!store) throw new Error('tus request outside its Fastify request')
    return store
  }
  const tus = new Server({
    path: '/api/v1/uploads',
    datastore: tusStore,
    maxSize: config.upload.maxFileBytes,
    exposedHeaders: [ENTRY_ID_HEADER, DUPLICATE_HEADER],
    generateUrl: (_req, { id }) => `/api/${current().version.name}/uploads/${id}`,
    namingFunction: () => crypto.randomUUID().replaceAll('-', ''),
    // Same origin only (the UI and the API share one): no CORS headers for other origins.
    allowedOrigins: () => false,
    async onIncomingRequest(req, uploadId) {
      // A creation names its upload before the row exists: onUploadCreate records it.
      if (req.method === 'POST') return
      const row = await tusUploads.getTusUpload(uploadId)
      if (!row || row.project !== current().project) throw tusError(404, notFound(uploadId))
    },
    async onUploadCreate(_req, upload) {
      const { project, version } = current()
      if (upload.size === undefined) {
        throw tusError(400, {
          status: 400,
          error: 'ValidationError',
          error_details: { message: 'Upload-Length is required (no deferred length)' },
        })
      }
      const request = requestOf(upload.metadata, version)
      const refused = await uploads.checkDeclared(project, request, upload.size)
      if (refused) throw refusal(refused, version)
      const expiresAt = new Date(Date.now() + config.upload.tusExpiryMinutes * 60_000)
      const added = await tusUploads.addTusUpload(
        { id: upload.id, project, length: upload.size, expiresAt },
        config.upload.tusBytesInFlightPerProject,
      )
      if (!added) {
        throw tusError(413, {
          status: 413,
          error: 'UploadQuota',
          error_details: {
            message: `The project's unfinished uploads would pass upload.tusBytesInFlightPerProject (${config.upload.tusBytesInFlightPerProject} bytes)`,
          },
        })
      }
      return {}
    },
    async onUploadFinish(_req, upload) {
      const { project, version } = current()
      const request = requestOf(upload.metadata, version)
      const result = await uploads.upload(project, tusStore.read(upload.id), request)
      await tusStore.remove(upload.id).catch(() => undefined)
      await tusUploads.deleteTusUpload(upload.id)
      if (!result.ok) throw refusal(result.failure, version)
      const headers: Record<string, string> = { [ENTRY_ID_HEADER]: result.entry.id }
      if (result.duplicate) headers[DUPLICATE_HEADER] = 'true'
      return { headers }
    },
  })
  tus.on('POST_TERMINATE', (_req: unknown, _res: unknown, id: string) => {
    void tusUploads.deleteTusUpload(id)
  })

  /** HEAD answers headers only: the tus server writes it to the socket itself. */
  const handleHead = async (request: FastifyRequest, reply: FastifyReply) => {
    const { project } = principalOf(request)
    const version = versionOf(request)
    reply.hijack()
    await context.run({ project, version }, () => tus.handle(request.raw, reply.raw))
  }

  /**
   * POST, PATCH and DELETE go through the tus server's web handler and back through Fastify, so that every
   * answer is in the document: errors in the API's envelope (JSON), the creation's 201 with its URL.
   */
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const { project } = principalOf(request)
    const version = versionOf(request)
    const headers = new Headers()
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
    }
    const hasBody = request.method === 'PATCH' || request.headers['content-length'] !== undefined
    const web = new Request(`http://${request.hostname}${request.url}`, {
      method: request.method,
      headers,
      ...(hasBody ? { body: Readable.toWeb(request.raw) as ReadableStream, duplex: 'half' } : {}),
    } as RequestInit)
    const answer = await context.run({ project, version }, () => tus.handleWeb(web))
    reply.status(answer.status)
    answer.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'content-type') void reply.header(name, value)
    })
    const text = await answer.text()
    if (answer.status >= 400) {
      return reply
        .type('application/json')
        .send(text.startsWith('{') ? text : JSON.stringify(envelopeOf(answer.status, text)))
    }
    if (answer.status === 201) {
      return reply.type('application/json').send(JSON.stringify({ url: answer.headers.get('location') }))
    }
    return reply.send()
  }

  return async (plain) => {
    // The PATCH body is the tus server's to read, as a stream.
    plain.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null))
    const app = plain.withTypeProvider<TypeBoxTypeProvider>()
    const write = requireScope(tokens, 'public-api:write')
    const common = {
      tags: ['Uploads'],
      security: bearerSecurity('public-api:write'),
    }
    const errors = {
      400: errorDoc('Bad tus request, or the import’s error body (JSON) for bad Upload-Metadata'),
      404: errorDoc('No such upload (or one of another project)'),
      412: errorDoc('Tus-Resumable missing or unsupported'),
      413: errorDoc('Larger than the media type’s maxFileSize, or the project’s quota of bytes in flight'),
    }
    app.post(
      '/api/:apiVersion/uploads',
      {
        onRequest: [checkApiVersion, write],
        schema: {
          ...common,
          operationId: 'createUpload',
          summary: 'Create a resumable upload (tus 1.0 creation)',
          description:
            'tus 1.0 with the creation, termination and expiration extensions. Headers: `Tus-Resumable: 1.0.0`, ' +
            '`Upload-Length`, `Upload-Metadata` (base64 values): `filename`, `mediaType`, and optionally `id`, ' +
            '`systemName`, `externalId`, `metadata` (a JSON object), `entryId` and `version` (replace that ' +
            'entry’s file). The size is checked against the media type’s `uploadRestrictions.maxFileSize` ' +
            'and the project’s quota of bytes in flight before a byte is sent. Answers `Location`.',
          params: Type.Object({ apiVersion: ApiVersionParam }),
          response: {
            201: withHeaders(described(UploadCreated, 'Created'), {
              ...TUS_HEADERS,
              Location: 'The upload URL',
              'Upload-Expires': 'When it expires',
            }),
            ...errors,
          },
        },
      },
      handle,
    )
    app.head(
      '/api/:apiVersion/uploads/:uploadId',
      {
        onRequest: [checkApiVersion, write],
        schema: {
          ...common,
          operationId: 'getUploadOffset',
          summary: 'The offset of a resumable upload (tus HEAD)',
          params: UploadIdParams,
          response: {
            200: tusEmpty('The upload’s state', {
              'Upload-Offset': 'Bytes received',
              'Upload-Length': 'Bytes in all',
            }),
            ...errors,
            410: errorDoc('The upload expired'),
          },
        },
      },
      handleHead,
    )
    app.patch(
      '/api/:apiVersion/uploads/:uploadId',
      {
        onRequest: [checkApiVersion, write],
        schema: {
          ...common,
          operationId: 'appendUpload',
          summary: 'Send bytes of a resumable upload (tus PATCH)',
          description:
            '`Content-Type: application/offset+octet-stream`, `Upload-Offset`. `HEAD` on the same URL ' +
            'answers `Upload-Offset` and `Upload-Length` (where to resume). The PATCH that brings the last ' +
            'byte creates the entry and answers its id in `Medialib-Entry-Id` (with `Medialib-Duplicate: true` ' +
            'when the project already held the bytes and the duplicate policy is `skip`: the id is that ' +
            'entry’s); a refusal (restriction, ' +
            'duplicate, validation) answers the import’s error body (JSON) with its status.',
          params: UploadIdParams,
          response: {
            204: tusEmpty('Bytes stored', {
              'Upload-Offset': 'Bytes received',
            }),
            ...errors,
            409: errorDoc('Upload-Offset does not match, or a duplicate refused (DuplicateFile, JSON)'),
            410: errorDoc('The upload expired'),
            415: errorDoc(
              'Not application/offset+octet-stream, or a type refused by allowedMimeTypes (JSON)',
            ),
          },
        },
      },
      handle,
    )
    app.delete(
      '/api/:apiVersion/uploads/:uploadId',
      {
        onRequest: [checkApiVersion, write],
        schema: {
          ...common,
          operationId: 'terminateUpload',
          summary: 'Abandon a resumable upload (tus termination)',
          params: UploadIdParams,
          response: { 204: tusEmpty('Removed'), ...errors },
        },
      },
      handle,
    )
  }
}
