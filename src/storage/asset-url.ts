import type { Config } from '../config.js'

/** The path under which stored originals are served (serve-image); `:apiVersion` is the API version. */
export const SERVE_IMAGE_ROUTE = '/api/:apiVersion/mediaLibrary/serve-image/*'

/**
 * The public URL of a stored key: `<publicAssetOrigin or publicBaseUrl>/api/v1/mediaLibrary/serve-image/<key>`.
 * The one place that builds it (URL imports write it into `asset.url`); the route serves SERVE_IMAGE_ROUTE.
 */
export function assetUrlOf(config: Config, key: string): string {
  const base = (
    config.publicAssetOrigin ||
    config.publicBaseUrl ||
    `http://${config.host}:${config.port}`
  ).replace(/\/+$/, '')
  const path = SERVE_IMAGE_ROUTE.replace(':apiVersion', 'v1').replace(/\*$/, '')
  return `${base}${path}${key.split('/').map(encodeURIComponent).join('/')}`
}
