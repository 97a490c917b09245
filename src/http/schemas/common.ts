import { Type } from 'typebox'

export const ApiVersionParams = Type.Object({
  apiVersion: Type.String({ description: 'v1, beta, or a dated version such as 2025-11' }),
})

export const ErrorEnvelope = Type.Object(
  {
    status: Type.Integer(),
    error: Type.String(),
    error_details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { description: 'The error envelope' },
)

export const bearerSecurity = (scope: string) => [{ bearerAuth: [scope] }]
