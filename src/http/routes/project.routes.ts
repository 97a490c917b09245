import type { ProjectService } from '../../projects/project.service.js'
import type { TokenService } from '../../projects/token.service.js'
import { principalOf, requireScope } from '../auth.js'
import { ApiVersionParams, bearerSecurity, component, described } from '../schemas/common.js'
import { Type } from 'typebox'
import { checkApiVersion } from './context.js'
import type { RoutePlugin } from '../type-provider.js'

const MediaTypesDoc = component(
  'MediaTypes',
  Type.Object(
    {
      mediaTypes: Type.Array(
        Type.Object(
          {
            handle: Type.String(),
            type: Type.Unsafe<string>({ type: 'string', enum: ['mediaImage', 'mediaVideo', 'mediaFile'] }),
            metadata: Type.Array(Type.Record(Type.String(), Type.Unknown()), {
              description: 'The metadata properties: handle, type (li-text, …), config',
            }),
          },
          { additionalProperties: true, description: 'A Livingdocs media type config' },
        ),
      ),
    },
    { additionalProperties: false },
  ),
)

export interface ProjectRoutesDeps {
  tokens: TokenService
  projects: ProjectService
}

/** `GET /api/:apiVersion/project/mediaTypes` (extension): the token's project's media types, for `import --dry-run`. */
export function projectRoutes(deps: ProjectRoutesDeps): RoutePlugin {
  const { tokens, projects } = deps
  return async (app) => {
    app.get(
      '/api/:apiVersion/project/mediaTypes',
      {
        onRequest: [checkApiVersion, requireScope(tokens, 'public-api:read')],
        schema: {
          tags: ['Project'],
          operationId: 'getProjectMediaTypes',
          summary: 'The media types of the token’s project (extension)',
          description:
            'The media type configs (handle, type, metadata properties) that imports are validated against, as `{mediaTypes: [...]}`. `medialib import --dry-run` uses them.',
          security: bearerSecurity('public-api:read'),
          params: ApiVersionParams,
          response: { 200: described(MediaTypesDoc, 'The media types of the project') },
        },
      },
      async (request) => {
        const { project } = principalOf(request)
        const row = await projects.get(project)
        return { mediaTypes: row?.mediaTypes ?? [] }
      },
    )
  }
}
