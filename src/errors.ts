/**
 * Typed application errors. Services throw these; the HTTP error handler renders them in the
 * API's envelope `{status, error, error_details}`. Nothing below the HTTP layer builds replies.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    /** The envelope's `error` field, e.g. `Not Found`. */
    readonly error: string,
    /** The envelope's `error_details`; omitted for 5xx. */
    readonly details?: Record<string, unknown>,
    message?: string,
  ) {
    super(message ?? error)
    this.name = 'AppError'
  }
}

export class NotFoundError extends AppError {
  constructor(details: Record<string, unknown>) {
    super(404, 'Not Found', details)
  }
}

/**
 * The 404 of something that does not exist: details `{name: 'NotFound', message, ...extra}`, the reference's
 * shape. Only two 404s keep another shape, both the reference's own: serve-image's `{message: 'No image
 * found.'}` and an unknown path's `{url}`.
 */
export function notFound(message: string, extra: Record<string, unknown> = {}): NotFoundError {
  return new NotFoundError({ name: 'NotFound', message, ...extra })
}

/** The 404 of an unknown (or trashed) media library entry. */
export function entryNotFound(id: string): NotFoundError {
  return notFound(`MediaLibrary Entry does not exist (id: '${id}')`)
}

export class BadRequestError extends AppError {
  constructor(details: Record<string, unknown>) {
    super(400, 'Bad Request', details)
  }
}

/**
 * 409. The reference names a version mismatch `Conflict` and a revoke-state conflict (revoking a revoked
 * entry, unrevoking an active one) `ConflictError` (release-2026-01): `name` picks the wording.
 */
export class ConflictError extends AppError {
  constructor(message: string, name: 'Conflict' | 'ConflictError' = 'Conflict') {
    super(409, name, { name, message })
  }
}

export class UnauthorizedError extends AppError {
  constructor(message: string) {
    super(401, 'Unauthorized', { access_token: message })
  }
}

export class ForbiddenError extends AppError {
  /** `missingScope`: the scope the token lacks, named in `error_details.missing_scope`. */
  constructor(message = 'The request requires higher privileges', missingScope?: string) {
    super(403, 'Forbidden', {
      access_token: message,
      ...(missingScope ? { missing_scope: missingScope } : {}),
    })
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string) {
    super(503, 'Service Unavailable', undefined, message)
  }
}

/** A user-facing error in configuration or CLI input: printed without a stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}
