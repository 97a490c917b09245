import { Type } from 'typebox'
import { ServiceUnavailableError } from '../../errors.js'
import { ApiVersionParams } from '../schemas/common.js'
import { checkApiVersion } from './context.js'
import type { RoutePlugin } from '../type-provider.js'

/** `GET /api/:apiVersion/health`: `{status:'ok'}` when the database answers, 503 otherwise. No token needed. */
export function healthRoutes(health: { ping(): Promise<void> }): RoutePlugin {
  return async (app) => {
    app.get(
      '/api/:apiVersion/health',
      {
        onRequest: checkApiVersion,
        schema: {
          tags: ['Health'],
          operationId: 'getApiStatus',
          summary: 'Check API status (and that the database answers)',
          description: 'Answers `{"status":"ok"}` when the database answers, 503 otherwise. No token needed.',
          security: [],
          params: ApiVersionParams,
          response: {
            200: Type.Object(
              { status: Type.Literal('ok') },
              {
                additionalProperties: false,
                description: 'The API and its database answer',
                examples: [{ status: 'ok' }],
              },
            ),
          },
        },
      },
      async () => {
        try {
          await health.ping()
        } catch {
          throw new ServiceUnavailableError('database unreachable')
        }
        return { status: 'ok' as const }
      },
    )
  }
}
