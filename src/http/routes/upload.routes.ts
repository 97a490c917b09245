import multipart from '@fastify/multipart'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.js'
import { AppError, BadRequestError } from '../../errors.js'
import type { UploadRequest, UploadService } from '../../media/upload/upload.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { presentList } from '../api-versions.js'
import { principalOf, requireScope } from '../auth.js'
import { ApiVersionParams, bearerSecurity, described } from '../schemas/common.js'
import {
  KnownHashes,
  knownHashesBody,
  MultipartUploadBody,
  UploadResponseAny,
} from '../schemas/upload.schemas.js'
import { presentUploadResult } from '../upload-presenter.js'
import { checkApiVersion, versionOf } from './context.js'

export interface UploadRoutesDeps {
  config: Config
  tokens: TokenService
  uploads: UploadService
}

/** Fields that apply to every following file, and those that apply to the next file only. */
const STICKY = ['mediaType', 'systemName', 'metadata'] as const
const ONCE = ['id', 'externalId', 'entryId', 'version'] as const
const FIELD_BYTES = 1024 * 1024

/** Sets one form field on the upload request; a bad value is the next file's ValidationError. */
function applyField(target: Partial<UploadRequest>, name: string, value: string): string | undefined {
  if (!(STICKY as readonly string[]).includes(name) && !(ONCE as readonly string[]).includes(name)) {
    return `unknown field '${name}' (known: file, ${[...STICKY, ...ONCE].join(', ')})`
  }
  if (name === 'metadata') {
    let parsed: unknown
    try {
      parsed = JSON.parse(value)
    } catch {
      return 'metadata must be a JSON object'
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      return 'metadata must be a JSON object'
    target.metadata = parsed as Record<string, unknown>
  } else if (name === 'version') {
    const version = Number(value)
    if (!Number.isSafeInteger(version) || version < 1) return 'version must be a positive integer'
    target.version = version
  } else {
    target[name as 'mediaType' | 'systemName' | 'id' | 'externalId' | 'entryId'] = value
  }
  return undefined
}

/**
 * `POST /api/:apiVersion/mediaLibrary/upload` (multipart) and `POST /api/:apiVersion/mediaLibrary/knownHashes`
 * (which of these SHA-256 the project already holds: the CLI's bulk question before it uploads).
 */
export function uploadRoutes(deps: UploadRoutesDeps): FastifyPluginAsync {
  const { config, tokens, uploads } = deps
  return async (plain) => {
    await plain.register(multipart, {
      limits: {
        // One byte over the server's cap, so that the upload's own check refuses the file and names it.
        fileSize: config.upload.maxFileBytes + 1,
        files: config.upload.maxFilesPerRequest,
        fields: 50,
        fieldSize: FIELD_BYTES,
        parts: config.upload.maxFilesPerRequest + 50,
        headerPairs: 100,
      },
    })
    const app = plain.withTypeProvider<TypeBoxTypeProvider>()

    app.post(
      '/api/:apiVersion/mediaLibrary/upload',
      {
        onRequest: [checkApiVersion, requireScope(tokens, 'public-api:write')],
        schema: {
          tags: ['Uploads'],
          operationId: 'uploadMediaLibraryFiles',
          summary: 'Upload files (multipart)',
          description:
            'Streams each `file` part to the storage and creates one entry per file, answering one result ' +
            'per file in order (the import envelope). Fields apply to the files after them: `mediaType`, ' +
            '`systemName` and `metadata` (JSON) to every following file, `id`, `externalId`, `entryId` ' +
            '(replace that entry’s file) and `version` to the next one only. The type is sniffed from the ' +
            'bytes; the media type’s `uploadRestrictions` refuse a file as its bytes arrive (413 maxFileSize, ' +
            '415 allowedMimeTypes). Bytes the project already holds follow its duplicate policy.',
          security: bearerSecurity('public-api:write'),
          params: ApiVersionParams,
          body: MultipartUploadBody,
          response: { 200: described(UploadResponseAny, 'One result per file, in order') },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const version = versionOf(request)
        if (!request.isMultipart()) {
          throw new AppError(415, 'Unsupported Media Type', {
            message: 'The body must be multipart/form-data',
          })
        }
        // Each slot is a route-level refusal, or the place of a file in the upload batch.
        const slots: (Record<string, unknown> | number)[] = []
        const sticky: Partial<UploadRequest> = {}
        let once: Partial<UploadRequest> = {}
        let problem: string | undefined
        const batch = uploads.batch(project)
        let results: Record<string, unknown>[]
        try {
          let files = 0
          for await (const part of request.parts()) {
            if (part.type === 'field') {
              problem ??= applyField(
                (STICKY as readonly string[]).includes(part.fieldname) ? sticky : once,
                part.fieldname,
                String(part.value),
              )
              continue
            }
            const index = slots.length
            if (part.fieldname !== 'file' || problem !== undefined) {
              part.file.resume()
              const message = problem ?? `file parts must be named 'file', got '${part.fieldname}'`
              slots.push({
                ok: false,
                correlation: `index: ${index}`,
                status: 400,
                error: 'ValidationError',
                error_details: { message },
              })
            } else {
              await batch.add(part.file, { ...sticky, ...once, filename: part.filename || `upload-${index}` })
              slots.push(files++)
            }
            once = {}
            problem = undefined
          }
          if (slots.length === 0) throw new BadRequestError({ file: 'at least one file part is required' })
          const stored = await batch.finish()
          results = slots.map((slot, index) => {
            if (typeof slot !== 'number') return slot
            const result = stored[slot]!
            if (!result.ok && result.correlation === 'index: 0') result.correlation = `index: ${index}`
            return presentUploadResult(result, version)
          })
        } finally {
          await batch.close()
        }
        return presentList(results, version)
      },
    )

    app.post(
      '/api/:apiVersion/mediaLibrary/knownHashes',
      {
        onRequest: [checkApiVersion, requireScope(tokens, 'public-api:read')],
        schema: {
          tags: ['Uploads'],
          operationId: 'getKnownMediaLibraryHashes',
          summary: 'Which of these SHA-256 the project already holds (bulk)',
          description:
            'For clients that hash files locally before they upload (the CLI’s `import --files`): the ' +
            'hashes of bytes an entry of the project already holds, each with one such entry id. ' +
            `At most ${config.upload.hashesPerRequest} hashes per request.`,
          security: bearerSecurity('public-api:read'),
          params: ApiVersionParams,
          body: knownHashesBody(config.upload.hashesPerRequest),
          response: { 200: described(KnownHashes, 'The hashes the project has') },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const known = await uploads.knownHashes(project, request.body.sha256)
        return { known: Object.fromEntries(known) }
      },
    )
  }
}
