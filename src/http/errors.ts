import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'

/** The API's error envelope. 5xx replies carry no `error_details`. */
export interface Envelope {
  status: number
  error: string
  error_details?: Record<string, unknown>
}

export function envelope(status: number, details?: Record<string, unknown>, error?: string): Envelope {
  const body: Envelope = { status, error: error ?? STATUS_CODES[status] ?? 'Error' }
  if (details !== undefined && status < 500) body.error_details = details
  return body
}

type ValidationItem = {
  instancePath?: string
  keyword?: string
  params?: Record<string, unknown>
  message?: string
}

/** Schema errors as one key per JSON path, the reference's 400 shape: `{"patches.0.operation": "…"}`. */
function validationDetails(
  items: readonly ValidationItem[],
  context: string | undefined,
): Record<string, string> {
  const details: Record<string, string> = {}
  for (const item of items) {
    const segments = (item.instancePath ?? '').split('/').filter(Boolean)
    let message = item.message ?? 'is invalid'
    if (item.keyword === 'required' && item.params?.missingProperty !== undefined) {
      segments.push(String(item.params.missingProperty))
      message = 'is required'
    } else if (item.keyword === 'additionalProperties' && item.params?.additionalProperty !== undefined) {
      segments.push(String(item.params.additionalProperty))
      message = 'is not allowed'
    }
    const key = segments.join('.') || context || 'body'
    if (!(key in details)) details[key] = message
  }
  return details
}

export function registerErrorHandling(
  app: FastifyInstance,
  isConnectionError: (err: unknown) => boolean,
): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) request.log.warn({ err }, err.message)
      return reply.status(err.status).send(envelope(err.status, err.details, err.error))
    }
    if (err.validation) {
      return reply.status(400).send(envelope(400, validationDetails(err.validation, err.validationContext)))
    }
    if (isConnectionError(err)) {
      request.log.error({ err }, 'database unavailable')
      return reply.status(503).send(envelope(503))
    }
    const status = err.statusCode ?? 500
    if (status === 415) {
      // The API reads JSON bodies only (curl's -d sends application/x-www-form-urlencoded).
      const sent = request.headers['content-type'] ?? 'none'
      const message = `Unsupported Media Type: ${sent}. Accepted: application/json (send the header Content-Type: application/json)`
      return reply.status(415).send(envelope(415, { message }))
    }
    if (status >= 400 && status < 500) {
      return reply.status(status).send(envelope(status, { message: err.message }))
    }
    request.log.error({ err }, 'unhandled error')
    return reply.status(500).send(envelope(500))
  })

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(envelope(404, { url: request.url }))
  })
}
