import createClient from 'openapi-fetch'
import { API_VERSION, ApiError } from './api.js'
import type { Entry, EntryPatchBody, ErrorBody, paths, Schemas } from './api-types.js'

/*
 * The typed client (openapi-fetch) apart from ui/api.ts, so that the first screen's bundle (the library)
 * does not carry it: the pages that use it load as their own chunks (docs/ui.md, The first screen).
 */

/**
 * The typed client of the public API (openapi-fetch over the served OpenAPI document): paths, parameters,
 * bodies and answers are checked against it at build time. Writes carry `x-medialib-ui: 1`, which the
 * server requires of cookie-authenticated writes (a cross-site form cannot send it).
 */
export const client = createClient<paths>({ credentials: 'same-origin' })
client.use({
  onRequest({ request }) {
    if (request.method !== 'GET') request.headers.set('x-medialib-ui', '1')
    return request
  },
})

/** The path parameter every API route takes. */
export const version = { apiVersion: API_VERSION } as const

/** The answer of a typed call, or its error envelope thrown as an ApiError. */
export async function ok<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  const { data, error, response } = await call
  if (!response.ok) throw new ApiError(response.status, (error ?? null) as Partial<ErrorBody> | null)
  return data as NonNullable<T>
}

/** `GET …/mediaLibrary/{id}`. */
export function getEntry(id: string): Promise<Entry> {
  return ok(client.GET('/api/{apiVersion}/mediaLibrary/{id}', { params: { path: { ...version, id } } }))
}

/** `PATCH …/mediaLibrary/{id}` with the version check (the answer is `{status: 200}`). */
export function patchEntry(id: string, body: EntryPatchBody): Promise<Schemas['PatchResponse']> {
  return ok(
    client.PATCH('/api/{apiVersion}/mediaLibrary/{id}', { params: { path: { ...version, id } }, body }),
  )
}
