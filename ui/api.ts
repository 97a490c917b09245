import type { ErrorBody } from './api-types.js'

/** The API version the UI speaks: dated, with `results` lists, the keys endpoint and search cursors. */
export const API_VERSION = '2026-07'
export const API = `/api/${API_VERSION}`

/** An answer other than 2xx, with the API's envelope `{status, error, error_details}` as `body`. */
export class ApiError extends Error {
  readonly status: number
  readonly body: Partial<ErrorBody> | null
  constructor(status: number, body: Partial<ErrorBody> | null) {
    const message = body?.error_details?.message
    super(typeof message === 'string' ? message : (body?.error ?? `HTTP ${status}`))
    this.status = status
    this.body = body
  }
}

/** The message of anything thrown, for the views. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * Calls a URL with the session cookie, for the `/ui/*` routes (outside the OpenAPI document) and the
 * library's preloaded first page (whose URL must be the preload's, byte for byte). `T` is the answer's
 * type, from api-types.ts.
 */
export async function api<T = unknown>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (method !== 'GET') headers['x-medialib-ui'] = '1'
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let data: unknown = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = { error: text }
  }
  if (!res.ok) throw new ApiError(res.status, data as Partial<ErrorBody> | null)
  return data as T
}

/** `{a: 1, b: undefined}` → `a=1`: the query of a URL, leaving out empty values. */
export function queryString(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}

type Extra = Record<string, string | number | undefined>
interface Imaged {
  id: string
  asset?: { key?: string }
}

/**
 * A variant of the entry's image (`GET …/{id}/image`, docs/images.md): inside `width` (fit=clip), WebP or
 * AVIF when the browser takes them (auto=format). `extra` adds parameters, e.g. `{crop: name}`.
 */
export function variantUrl(entry: Imaged, width: number, extra: Extra = {}): string {
  return `${API}/mediaLibrary/${encodeURIComponent(entry.id)}/image${queryString({ w: width, fit: 'clip', auto: 'format', ...extra })}`
}

/**
 * A thumbnail (`GET …/{id}/thumbnail`): for videos, their poster frame when the server has ffmpeg
 * (docs/images.md); a 404 otherwise, and the caller shows the typed placeholder.
 */
export function thumbnailUrl(entry: Imaged, width: number): string {
  return `${API}/mediaLibrary/${encodeURIComponent(entry.id)}/thumbnail${queryString({ w: width, key: entry.asset?.key })}`
}

/** A `srcset` of the entry's variants at these widths (all in the server's default allow-list). */
export function variantSrcset(entry: Imaged, widths: number[], extra: Extra = {}): string {
  return widths.map((w) => `${variantUrl(entry, w, extra)} ${w}w`).join(', ')
}
