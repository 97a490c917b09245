import type { UploadFailure, UploadResult } from '../media/upload/upload.service.js'
import { failureBody, presentEntry, type ApiVersion } from './api-versions.js'

/** The envelope of a refused upload: the import's item error, or one of the upload's own refusals. */
export function uploadFailureBody(
  failure: UploadFailure,
  version: ApiVersion,
): { status: number; error: string; error_details: Record<string, unknown> } {
  switch (failure.kind) {
    case 'restriction':
      return {
        status: failure.restriction === 'maxFileSize' ? 413 : 415,
        error: 'UploadRestriction',
        error_details: { message: failure.message, restriction: failure.restriction },
      }
    case 'duplicate':
      return {
        status: 409,
        error: 'DuplicateFile',
        error_details: {
          message: `The project already has these bytes: entry '${failure.existingId}' (duplicate policy: reject)`,
          existingId: failure.existingId,
        },
      }
    case 'notFound':
      return { status: 404, error: 'NotFound', error_details: { message: failure.message } }
    case 'conflict':
      return { status: 409, error: 'Conflict', error_details: { message: failure.message } }
    default:
      return failureBody(failure, version)
  }
}

/** One file's result in an upload response. */
export function presentUploadResult(result: UploadResult, version: ApiVersion): Record<string, unknown> {
  if (result.ok) {
    const item: Record<string, unknown> = {
      ok: true,
      status: 200,
      id: result.entry.id,
      record: presentEntry(result.entry),
    }
    if (result.duplicate) item.duplicate = true
    return item
  }
  return { ok: false, correlation: result.correlation, ...uploadFailureBody(result.failure, version) }
}
