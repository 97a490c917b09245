import type { FastifyReply, FastifyRequest } from 'fastify'
import type { VariantAnswer } from '../media/variant.service.js'
import { sendPassive } from './passive-file.js'

/**
 * Answers with a variant: strong ETag, Last-Modified, `Cache-Control: private, max-age` (never immutable:
 * neither URL names its bytes), `Vary: Accept` with auto=format, 304 on If-None-Match before any bytes are
 * read or made. Passive like every stored file.
 */
export async function sendVariant(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: VariantAnswer,
  maxAgeSeconds: number,
): Promise<FastifyReply> {
  reply
    .header('etag', answer.etag)
    .header('last-modified', answer.lastModified.toUTCString())
    .header('cache-control', `private, max-age=${maxAgeSeconds}`)
  if (answer.variesByAccept) reply.header('vary', 'Accept')
  const inm = request.headers['if-none-match']
  if (inm && inm.split(',').some((t) => t.trim() === answer.etag || t.trim() === '*'))
    return reply.code(304).send()
  const body = await answer.body()
  return sendPassive(reply, answer.contentType).header('content-length', body.length).send(body)
}
