import type { FastifyRequest } from 'fastify'
import { notFound } from '../../errors.js'
import { API_VERSIONS, SUPPORTED_VERSIONS, type ApiVersion } from '../api-versions.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `checkApiVersion` on routes under `/api/:apiVersion`. */
    apiVersion?: ApiVersion
  }
}

/** onRequest hook: resolves `:apiVersion`, or answers 404 listing the supported versions. */
export async function checkApiVersion(request: FastifyRequest): Promise<void> {
  const params: unknown = request.params
  const given =
    typeof params === 'object' && params !== null && 'apiVersion' in params ? params.apiVersion : ''
  const name = typeof given === 'string' ? given : ''
  const version = API_VERSIONS.get(name)
  if (!version) {
    throw notFound(`Unknown API version '${name}'. Supported versions: ${SUPPORTED_VERSIONS.join(', ')}`, {
      supportedVersions: SUPPORTED_VERSIONS,
    })
  }
  request.apiVersion = version
}

export function versionOf(request: FastifyRequest): ApiVersion {
  if (!request.apiVersion) throw new Error('route is missing the checkApiVersion hook')
  return request.apiVersion
}
