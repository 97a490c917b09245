import type { MediaEntryRepository } from '../db/media-entry.repository.js'
import { AppError, BadRequestError, ConflictError, entryNotFound } from '../errors.js'
import { contentOf, type Asset, type MediaEntry, type Translation } from './entry.js'
import type { EntryFailure, EntryValidator } from './entry-validator.js'
import type { CompiledMediaType } from './media-types/metadata-validator.js'
import { searchTextOf } from './search-text.js'
import { addUsage, removeUsage, updateUsage, type CompiledPurposes, type UsageValue } from './usage-log.js'

/**
 * One operation of a PATCH: the reference's, then medialib's additions (`unarchive`, `storeInArchive`,
 * `removeFromArchive`, `restore`).
 */
export type Patch =
  | { operation: 'setMetadataProperty'; propertyName: string; value?: unknown }
  | { operation: 'replaceAsset'; value: Asset }
  | { operation: 'removeAsset'; locale: string }
  | { operation: 'revokeAsset'; note?: string }
  | { operation: 'unrevokeAsset' }
  | { operation: 'archive' }
  | { operation: 'addUsageLogEntry'; value: UsageValue }
  | {
      operation: 'updateUsageLogEntry'
      usageLogEntryId: string
      value: UsageValue
      oldValue?: Record<string, unknown>
    }
  | { operation: 'removeUsageLogEntry'; usageLogEntryId: string }
  | { operation: 'unarchive' }
  | { operation: 'storeInArchive' }
  | { operation: 'removeFromArchive' }
  | { operation: 'restore' }

export const PATCH_OPERATIONS = [
  'setMetadataProperty',
  'replaceAsset',
  'removeAsset',
  'revokeAsset',
  'unrevokeAsset',
  'archive',
  'addUsageLogEntry',
  'updateUsageLogEntry',
  'removeUsageLogEntry',
  'unarchive',
  'storeInArchive',
  'removeFromArchive',
  'restore',
] as const

export const MAX_REVOKE_NOTE = 200

export interface PatchRequest {
  /** When set, the stored version must equal it, else 409. */
  version?: number
  /** Applied in order, all or none. */
  patches: readonly Patch[]
  /** Keep `updatedAt` as it is (API versions from 2026-03). */
  preserveUpdatedAt?: boolean
}

/**
 * The patched entry would not be valid (asset or metadata). Carries the failure so that each API
 * version words it as its import does; the HTTP layer turns it into the version's 400.
 */
export class PatchRejectedError extends AppError {
  constructor(readonly failure: EntryFailure) {
    super(400, 'ValidationError', { message: 'The patched entry is not valid' })
    this.name = 'PatchRejectedError'
  }
}

export interface PatchServiceDeps {
  entries: MediaEntryRepository
  validator: EntryValidator
  mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  /** The project's usage purposes, for the usage-log operations (none known when absent). */
  usagePurposesOf?(project: string): Promise<CompiledPurposes>
  /** Days a trashed entry can be restored (default 30). */
  trashDays?: number
  now?: () => Date
}

export interface PatchService {
  /**
   * Applies the patches to the entry atomically: all of them in memory, one validation of the result,
   * then one write that increments `version` once, guarded by the version it read (optimistic locking).
   * Throws NotFoundError, ConflictError (version, revoke state), BadRequestError, PatchRejectedError.
   */
  patch(project: string, id: string, request: PatchRequest): Promise<MediaEntry>
}

const WRITE_ATTEMPTS = 5

function clone<T>(value: T): T {
  return structuredClone(value)
}

/** What the usage-log operations check values against. */
export interface PatchContext {
  purposes?: CompiledPurposes
}

const conflict = (message: string) => new ConflictError(message, 'ConflictError')

/** Applies the patches to a copy of the entry. Pure: throws on a patch that cannot apply. */
export function applyPatches(
  entry: MediaEntry,
  patches: readonly Patch[],
  now: Date,
  context: PatchContext = {},
): MediaEntry {
  const purposes: CompiledPurposes = context.purposes ?? new Map()
  const next: MediaEntry = clone(entry)
  const formerKeys = [...(next.formerKeys ?? [])]
  const retire = (key: string) => {
    if (!formerKeys.includes(key)) formerKeys.push(key)
  }
  patches.forEach((patch, i) => {
    switch (patch.operation) {
      case 'setMetadataProperty': {
        const metadata = { ...next.metadata }
        if (patch.value === null || patch.value === undefined) delete metadata[patch.propertyName]
        else metadata[patch.propertyName] = patch.value
        next.metadata = metadata
        break
      }
      case 'replaceAsset':
        if (patch.value.key !== next.asset.key) retire(next.asset.key)
        next.asset = patch.value
        break
      case 'removeAsset': {
        const translation = next.translations?.find((t) => t.locale === patch.locale)
        if (!translation?.asset) {
          throw new BadRequestError({
            [`patches.${i}.locale`]: `The entry has no translated asset for the locale '${patch.locale}' (the main asset cannot be removed)`,
          })
        }
        retire(translation.asset.key)
        next.translations = (next.translations ?? []).map((t): Translation => {
          if (t.locale !== patch.locale) return t
          const { asset: _removed, ...rest } = t
          return rest
        })
        break
      }
      case 'revokeAsset':
        if (next.revokedAt !== undefined)
          throw new ConflictError(`The entry is already revoked (id: '${entry.id}')`, 'ConflictError')
        next.revokedAt = now.toISOString()
        if (patch.note !== undefined && patch.note !== '') next.revokeNote = patch.note
        break
      case 'unrevokeAsset':
        if (next.revokedAt === undefined)
          throw new ConflictError(`The entry is not revoked (id: '${entry.id}')`, 'ConflictError')
        delete next.revokedAt
        delete next.revokeNote
        break
      case 'archive':
        // Archiving an archived entry keeps the first archivedAt.
        next.archivedAt ??= now.toISOString()
        break
      default:
        applyLifecyclePatch(next, patch, i, now, purposes)
    }
  })
  if (formerKeys.length > 0) next.formerKeys = formerKeys
  return next
}

/** The usage-log operations (release-2026-05) and medialib's archive, protection and trash operations. */
function applyLifecyclePatch(
  next: MediaEntry,
  patch: Patch,
  i: number,
  now: Date,
  purposes: CompiledPurposes,
): void {
  const at = `patches.${i}.value`
  switch (patch.operation) {
    case 'addUsageLogEntry':
      next.usageLog = addUsage(next.usageLog ?? [], patch.value, purposes, at, now)
      break
    case 'updateUsageLogEntry':
      next.usageLog = updateUsage(
        next.usageLog ?? [],
        patch.usageLogEntryId,
        patch.value,
        patch.oldValue,
        purposes,
        at,
        next.id,
        now,
      )
      break
    case 'removeUsageLogEntry': {
      const log = removeUsage(next.usageLog ?? [], patch.usageLogEntryId, next.id)
      if (log.length > 0) next.usageLog = log
      else delete next.usageLog
      break
    }
    case 'unarchive':
      if (next.archivedAt === undefined) throw conflict(`The entry is not archived (id: '${next.id}')`)
      delete next.archivedAt
      break
    case 'storeInArchive':
      if (next.storedInArchiveAt !== undefined)
        throw conflict(`The entry is already stored in archive (id: '${next.id}')`)
      next.storedInArchiveAt = now.toISOString()
      break
    case 'removeFromArchive':
      if (next.storedInArchiveAt === undefined)
        throw conflict(`The entry is not stored in archive (id: '${next.id}')`)
      delete next.storedInArchiveAt
      break
    case 'restore':
      if (next.deletedAt === undefined) throw conflict(`The entry is not in the trash (id: '${next.id}')`)
      delete next.deletedAt
      break
    default:
      throw new Error(`unhandled patch operation ${patch.operation}`)
  }
}

const USAGE_OPERATIONS = new Set<Patch['operation']>([
  'addUsageLogEntry',
  'updateUsageLogEntry',
  'removeUsageLogEntry',
])

const TOUCHES_CONTENT = new Set<Patch['operation']>(['setMetadataProperty', 'replaceAsset', 'removeAsset'])

/**
 * The next version of a stored entry under a patch request: version check, patches, validation of the
 * result, search text, `version` + 1, `updatedAt`. Pure; throws ConflictError, BadRequestError,
 * PatchRejectedError. The caller writes it guarded by `stored.version`.
 */
export function patchedEntry(
  stored: MediaEntry,
  request: PatchRequest,
  context: {
    validator: EntryValidator
    mediaTypes: ReadonlyMap<string, CompiledMediaType>
    at: Date
  } & PatchContext,
): MediaEntry {
  const { validator, mediaTypes, at } = context
  if (request.version !== undefined && request.version !== stored.version) {
    throw new ConflictError(`Version: Expected ${stored.version} to be equal to ${request.version}`)
  }
  const next = applyPatches(
    stored,
    request.patches,
    at,
    context.purposes ? { purposes: context.purposes } : {},
  )
  if (request.patches.some((p) => TOUCHES_CONTENT.has(p.operation))) {
    const check = validator.check(contentOf(next), mediaTypes)
    if (!check.ok) throw new PatchRejectedError(check.failure)
  }
  // Always derived again: the write stores it whole (a revoke must not blank the index).
  next.searchText = searchTextOf(next, mediaTypes.get(next.mediaType))
  next.version = stored.version + 1
  if (!request.preserveUpdatedAt) next.updatedAt = at.toISOString()
  return next
}

export function createPatchService(deps: PatchServiceDeps): PatchService {
  const { entries, validator } = deps
  const now = deps.now ?? (() => new Date())
  const trashMs = (deps.trashDays ?? 30) * 86_400_000
  /** A trashed entry is found only by a PATCH that restores it, and only while its trash time lasts. */
  const visible = (stored: MediaEntry | undefined, restores: boolean, at: Date): stored is MediaEntry => {
    if (!stored) return false
    if (stored.deletedAt === undefined) return true
    return restores && at.getTime() - Date.parse(stored.deletedAt) < trashMs
  }

  return {
    async patch(project, id, request) {
      for (let attempt = 1; ; attempt++) {
        const restores = request.patches.some((p) => p.operation === 'restore')
        const stored = await entries.get(project, id, { trashed: restores })
        if (!visible(stored, restores, now())) throw entryNotFound(id)
        const context: PatchContext = {}
        if (request.patches.some((p) => USAGE_OPERATIONS.has(p.operation)) && deps.usagePurposesOf) {
          context.purposes = await deps.usagePurposesOf(project)
        }
        const mediaTypes = await deps.mediaTypesOf(project)
        const next = patchedEntry(stored, request, { validator, mediaTypes, at: now(), ...context })
        if (await entries.updateIfVersion(project, next, stored.version)) return next
        // Another write came between our read and our write: read again (the version check then
        // answers 409 if the client pinned a version). Bounded, so a hot entry cannot spin forever.
        if (attempt >= WRITE_ATTEMPTS) {
          throw new ConflictError(`The entry changed while it was being patched (id: '${id}'); try again`)
        }
      }
    },
  }
}
