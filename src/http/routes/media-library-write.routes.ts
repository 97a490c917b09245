import type { FastifyError } from 'fastify'
import { BadRequestError, notFound } from '../../errors.js'
import type { Asset } from '../../media/entry.js'
import { unstorablePath } from '../../media/entry-validator.js'
import type { LibraryService } from '../../media/library.service.js'
import { PatchRejectedError, type Patch, type PatchRequest } from '../../media/patch.service.js'
import { parseUsageValue } from '../../media/usage-log.js'
import type { TokenService } from '../../projects/token.service.js'
import { patchFailureError } from '../api-versions.js'
import { principalOf, requireScope } from '../auth.js'
import { bearerSecurity, described, errorResponses } from '../schemas/common.js'
import { EntryIdParams, KeysDoc } from '../schemas/entry.schemas.js'
import { PatchBody, PatchOk } from '../schemas/patch.schemas.js'
import { checkApiVersion, versionOf } from './context.js'
import { isReservedKey, RESERVED_KEY_RULE } from '../../sources/reserved-keys.js'
import type { RoutePlugin } from '../type-provider.js'

export interface MediaLibraryWriteRoutesDeps {
  tokens: TokenService
  library: LibraryService
}

type RawPatch = {
  operation: string
  propertyName?: string
  value?: unknown
  locale?: string
  note?: string
  usageLogEntryId?: string
  oldValue?: Record<string, unknown>
}
export type RawBody = { version?: number | string; preserveUpdatedAt?: boolean; patches: RawPatch[] }

/** The reference words an unknown operation `No enum match for: "<value>"`; Ajv words it otherwise. */
function rewordValidation(body: unknown, err: FastifyError): FastifyError {
  // The body failed validation, so nothing about its shape is known beyond what each error's path says.
  const patches = isObject(body) && Array.isArray(body.patches) ? (body.patches as unknown[]) : []
  for (const item of err.validation ?? []) {
    const match = /^\/patches\/(\d+)\/operation$/.exec(item.instancePath)
    if (item.keyword !== 'enum' || !match) continue
    const patch = patches[Number(match[1])]
    const value = isObject(patch) ? patch.operation : undefined
    item.message = `No enum match for: ${JSON.stringify(value)}`
  }
  return err
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

/** Turns a schema-checked body into the service's request; checks what each operation needs. */
export function toPatchRequest(body: RawBody, allowPreserve: boolean): PatchRequest {
  body.patches.forEach((raw, i) => {
    // A NUL or a lone surrogate in any value (a revoke note, a usage-log field) cannot be stored on every
    // database: refused here, as in imported entries, instead of failing the write.
    const found = unstorablePath(raw)
    if (found)
      throw new BadRequestError({ [`patches.${i}${found.path.replaceAll('/', '.')}`]: found.message })
  })
  const request: PatchRequest = { patches: body.patches.map(toPatch) }
  if (body.version !== undefined) request.version = Number(body.version)
  if (body.preserveUpdatedAt !== undefined) {
    if (!allowPreserve) {
      throw new BadRequestError({ preserveUpdatedAt: 'is available from API version 2026-03 on' })
    }
    request.preserveUpdatedAt = body.preserveUpdatedAt
  }
  return request
}

function toPatch(raw: RawPatch, i: number): Patch {
  const missing = (field: string) =>
    new BadRequestError({ [`patches.${i}.${field}`]: `is required for ${raw.operation}` })
  switch (raw.operation) {
    case 'setMetadataProperty':
      if (raw.propertyName === undefined) throw missing('propertyName')
      return { operation: 'setMetadataProperty', propertyName: raw.propertyName, value: raw.value }
    case 'replaceAsset':
      if (raw.value === null || typeof raw.value !== 'object' || Array.isArray(raw.value)) {
        throw new BadRequestError({ [`patches.${i}.value`]: 'must be an asset object for replaceAsset' })
      }
      // Source keys are the scans' own (issue #22).
      if (isReservedKey((raw.value as { key?: unknown }).key)) {
        throw new BadRequestError({ [`patches.${i}.value.key`]: RESERVED_KEY_RULE })
      }
      return { operation: 'replaceAsset', value: raw.value as Asset }
    case 'removeAsset':
      if (raw.locale === undefined) throw missing('locale')
      return { operation: 'removeAsset', locale: raw.locale }
    case 'revokeAsset':
      return raw.note === undefined
        ? { operation: 'revokeAsset' }
        : { operation: 'revokeAsset', note: raw.note }
    case 'unrevokeAsset':
      return { operation: 'unrevokeAsset' }
    case 'archive':
    case 'unarchive':
    case 'storeInArchive':
    case 'removeFromArchive':
    case 'restore':
      return { operation: raw.operation }
    case 'addUsageLogEntry':
      if (raw.value === undefined) throw missing('value')
      return { operation: 'addUsageLogEntry', value: parseUsageValue(raw.value, `patches.${i}.value`) }
    case 'updateUsageLogEntry': {
      if (raw.usageLogEntryId === undefined) throw missing('usageLogEntryId')
      if (raw.value === undefined) throw missing('value')
      const patch: Patch = {
        operation: 'updateUsageLogEntry',
        usageLogEntryId: raw.usageLogEntryId,
        value: parseUsageValue(raw.value, `patches.${i}.value`),
      }
      if (raw.oldValue !== undefined) patch.oldValue = raw.oldValue
      return patch
    }
    case 'removeUsageLogEntry':
      if (raw.usageLogEntryId === undefined) throw missing('usageLogEntryId')
      return { operation: 'removeUsageLogEntry', usageLogEntryId: raw.usageLogEntryId }
    default:
      throw new BadRequestError({
        [`patches.${i}.operation`]: `No enum match for: ${JSON.stringify(raw.operation)}`,
      })
  }
}

/** `PATCH /api/:apiVersion/mediaLibrary/{id}` and `GET /api/:apiVersion/mediaLibrary/{id}/keys`. */
export function mediaLibraryWriteRoutes(deps: MediaLibraryWriteRoutesDeps): RoutePlugin {
  const { tokens, library } = deps
  return async (app) => {
    app.patch(
      '/api/:apiVersion/mediaLibrary/:id',
      {
        onRequest: [checkApiVersion, requireScope(tokens, 'public-api:write')],
        attachValidation: true,
        schema: {
          tags: ['Media Library'],
          operationId: 'updateMediaLibraryEntry',
          summary: 'Patch a media library entry',
          description:
            'Applies the patches in order, all or none; `version` increments once. Operations: ' +
            'setMetadataProperty, replaceAsset, removeAsset, revokeAsset (409 when revoked), ' +
            'unrevokeAsset (409 when not revoked), archive; the usage log (release-2026-05): ' +
            'addUsageLogEntry, updateUsageLogEntry (409 when `oldValue` does not match), ' +
            'removeUsageLogEntry (404 for an unknown `usageLogEntryId`); medialib additions: unarchive ' +
            '(409 when not archived), storeInArchive / removeFromArchive (protection from deletion; 409 ' +
            'when already / not stored), restore (a trashed entry, within trashDays; 409 when not trashed). ' +
            '`preserveUpdatedAt` from 2026-03.',
          security: bearerSecurity('public-api:write'),
          params: EntryIdParams,
          body: PatchBody,
          response: {
            200: described(PatchOk, 'Every patch applied, the version incremented once'),
            ...errorResponses(409),
          },
        },
      },
      async (request) => {
        if (request.validationError)
          throw rewordValidation(request.body, request.validationError as FastifyError)
        const { project } = principalOf(request)
        const version = versionOf(request)
        const { id } = request.params
        const patch = toPatchRequest(request.body, version.preserveUpdatedAt)
        try {
          await library.patch(project, id, patch)
        } catch (err) {
          if (err instanceof PatchRejectedError) throw patchFailureError(err.failure, version)
          throw err
        }
        return { status: 200 }
      },
    )

    app.get(
      '/api/:apiVersion/mediaLibrary/:id/keys',
      {
        onRequest: [checkApiVersion, requireScope(tokens, 'public-api:read')],
        schema: {
          tags: ['Media Library'],
          operationId: 'getAllKeysForMediaLibraryEntry',
          summary: 'Get all storage keys of a media library entry (2026-03 and later)',
          security: bearerSecurity('public-api:read'),
          params: EntryIdParams,
          response: { 200: described(KeysDoc, 'Every storage key of the entry') },
        },
      },
      async (request) => {
        const version = versionOf(request)
        if (!version.keysEndpoint) {
          throw notFound(
            `GET /mediaLibrary/{id}/keys needs API version 2026-03 or later (got '${version.name}')`,
          )
        }
        const { project } = principalOf(request)
        const { id } = request.params
        return { results: await library.keysOf(project, id) }
      },
    )
  }
}
