/* global fetch, URLSearchParams */

/** The API version the UI speaks: dated, with `results` lists, the keys endpoint and search cursors. */
export const API = '/api/2026-07'

/** An answer other than 2xx, with the API's envelope `{status, error, error_details}` as `body`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error_details?.message ?? body?.error ?? `HTTP ${status}`)
    this.status = status
    this.body = body
  }
}

/**
 * Calls the API with the session cookie. Writes send `x-medialib-ui: 1`, which the server requires of
 * cookie-authenticated writes (a cross-site form cannot send it).
 */
export async function api(method, url, body) {
  const headers = { accept: 'application/json' }
  if (method !== 'GET') headers['x-medialib-ui'] = '1'
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = { error: text }
  }
  if (!res.ok) throw new ApiError(res.status, data)
  return data
}

/** `{a: 1, b: undefined}` → `a=1`: the query of a URL, leaving out empty values. */
export function queryString(params) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v)
  const s = q.toString()
  return s ? `?${s}` : ''
}

/**
 * A variant of the entry's image (`GET …/{id}/image`, docs/images.md): inside `width` (fit=clip), WebP or
 * AVIF when the browser takes them (auto=format). `extra` adds parameters, e.g. `{crop: name}`.
 */
export function variantUrl(entry, width, extra = {}) {
  return `${API}/mediaLibrary/${encodeURIComponent(entry.id)}/image${queryString({ w: width, fit: 'clip', auto: 'format', ...extra })}`
}

/**
 * A thumbnail (`GET …/{id}/thumbnail`): for videos, their poster frame when the server has ffmpeg
 * (docs/images.md); a 404 otherwise, and the caller shows the typed placeholder.
 */
export function thumbnailUrl(entry, width) {
  return `${API}/mediaLibrary/${encodeURIComponent(entry.id)}/thumbnail${queryString({ w: width, key: entry.asset.key })}`
}

/** A `srcset` of the entry's variants at these widths (all in the server's default allow-list). */
export function variantSrcset(entry, widths, extra = {}) {
  return widths.map((w) => `${variantUrl(entry, w, extra)} ${w}w`).join(', ')
}
