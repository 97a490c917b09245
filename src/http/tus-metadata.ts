// The tus routes' requests and errors: Upload-Metadata to an upload request, and the errors the tus
// server answers (the import's error body, or its own plain text in the API's envelope).
import { STATUS_CODES } from 'node:http'
import type { UploadFailure, UploadRequest } from '../media/upload/upload.service.js'
import type { ApiVersion } from './api-versions.js'
import { uploadFailureBody } from './upload-presenter.js'

/** The tus metadata keys an upload may carry (values travel base64-encoded, as tus has it). */
const METADATA_KEYS = [
  'filename',
  'filetype',
  'mediaType',
  'id',
  'systemName',
  'externalId',
  'metadata',
  'entryId',
  'version',
]

/** A tus error: the status and the import's error body (JSON). */
export function tusError(
  status: number,
  body: Record<string, unknown>,
): { status_code: number; body: string } {
  return { status_code: status, body: JSON.stringify(body) }
}

export function refusal(failure: UploadFailure, version: ApiVersion) {
  const body = uploadFailureBody(failure, version)
  return tusError(body.status, body)
}

/** The upload request of tus metadata; throws the tus error of a bad value. */
export function requestOf(
  metadata: Record<string, string | null> | undefined,
  version: ApiVersion,
): UploadRequest {
  const meta = metadata ?? {}
  const bad = (message: string) =>
    tusError(400, { status: 400, error: 'ValidationError', error_details: { message } })
  for (const key of Object.keys(meta)) {
    if (!METADATA_KEYS.includes(key))
      throw bad(`unknown Upload-Metadata key '${key}' (known: ${METADATA_KEYS.join(', ')})`)
  }
  const request: UploadRequest = { filename: meta.filename || 'upload' }
  for (const key of ['mediaType', 'id', 'systemName', 'externalId', 'entryId'] as const) {
    const value = meta[key]
    if (value) request[key] = value
  }
  if (meta.metadata) {
    let parsed: unknown
    try {
      parsed = JSON.parse(meta.metadata)
    } catch {
      throw bad('metadata must be a JSON object')
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw bad('metadata must be a JSON object')
    request.metadata = parsed as Record<string, unknown>
  }
  if (meta.version) {
    const n = Number(meta.version)
    if (!Number.isSafeInteger(n) || n < 1) throw bad('version must be a positive integer')
    request.version = n
  }
  void version
  return request
}

/** A tus error of the server's own (plain text) in the API's envelope. */
export function envelopeOf(status: number, text: string) {
  return { status, error: STATUS_CODES[status] ?? 'Error', error_details: { message: text.trim() } }
}

export function notFound(uploadId: string) {
  return { status: 404, error: 'NotFound', error_details: { message: `No upload '${uploadId}'` } }
}
