import { createHash } from 'node:crypto'
import { AppError, BadRequestError, NotFoundError, notFound } from '../errors.js'
import type { ImageSigning } from '../db/image-variant.repository.js'
import type { MediaEntry } from './entry.js'
import type { ImagePool } from './image-pool.js'
import type { CompiledMediaType } from './media-types/metadata-validator.js'
import type { VariantCache } from './variant-cache.js'
import {
  canonicalVariant,
  outsideAllowList,
  parseVariantParams,
  verifyVariantSignature,
  type VariantAllowList,
  type VariantParams,
} from './variant-params.js'
import { chooseFormat, renderVariant, VARIANT_CONTENT_TYPES } from './variant-render.js'
import type { VariantSources } from './variant-source.js'

/** A variant ready to answer: validators first, the bytes only when they are needed (not on a 304). */
export interface VariantAnswer {
  etag: string
  lastModified: Date
  contentType: string
  /** The format came from `Accept` (`auto=format`): the answer varies by it. */
  variesByAccept: boolean
  body(): Promise<Buffer>
}

export interface VariantRequest {
  project: string
  /** The query, `s` included (`crop` is a crop name on the entry route). */
  query: Record<string, unknown>
  /** The request's path and query as sent (what a signature covers). */
  url: string
  accept: string | undefined
}

export interface VariantService {
  /** serve-image with parameters: a variant of the entry that holds the key. */
  byKey(request: VariantRequest & { key: string }): Promise<VariantAnswer | undefined>
  /** `…/{id}/image`: a variant of the entry with its named crop and focal point applied. */
  byEntry(request: VariantRequest & { id: string; serveWithheld: boolean }): Promise<VariantAnswer>
  /** The entry's original bytes: from storage, or fetched from `asset.url` (external previews). */
  original(project: string, entry: MediaEntry): Promise<Buffer>
}

export interface VariantServiceDeps {
  entryOfKey(project: string, key: string): Promise<MediaEntry | undefined>
  getEntry(project: string, id: string): Promise<MediaEntry>
  mediaTypesOf(project: string): Promise<ReadonlyMap<string, CompiledMediaType>>
  isWithheld(entry: MediaEntry, mediaType: CompiledMediaType | undefined): boolean
  signing(project: string): Promise<ImageSigning>
  sources: VariantSources
  cache: VariantCache
  pool: ImagePool
  allowList: VariantAllowList
  maxDimension: number
  maxInputPixels: number
  timeoutSeconds: number
  /** A variant made but not stored (it is still served; the next request makes it again). */
  onCacheError?: (err: unknown) => void
}

const forbidden = (message: string, param?: string) =>
  new AppError(403, 'Forbidden', { message, ...(param ? { [param]: message } : {}) })

const hash = (text: string) => createHash('sha256').update(text).digest('base64url')

/** The named crop and focal point of an entry (`li-named-crops` metadata), if its media type has one. */
function cropsOf(entry: MediaEntry, mediaType: CompiledMediaType | undefined) {
  const handle = mediaType?.config.metadata.find((p) => p.type === 'li-named-crops')?.handle
  const value = (handle ? entry.metadata[handle] : undefined) as
    | {
        crops?: { name: string; x: number; y: number; width: number; height: number }[]
        focalPoint?: { x: number; y: number }
      }
    | undefined
  return { crops: value?.crops ?? [], focalPoint: value?.focalPoint }
}

const clamp01 = (n: number) => Math.min(1, Math.max(0, n))

export function createVariantService(deps: VariantServiceDeps): VariantService {
  const inFlight = new Map<string, Promise<Buffer>>()
  const signingCache = new Map<string, { at: number; value: ImageSigning }>()

  const signingOf = async (project: string) => {
    const hit = signingCache.get(project)
    if (hit && Date.now() - hit.at < 5_000) return hit.value
    const value = await deps.signing(project)
    signingCache.set(project, { at: Date.now(), value })
    return value
  }

  /** Abuse control: a valid `s=`, or (unless the project requires signatures) a variant in the allow-list. */
  const authorize = async (request: VariantRequest, params: VariantParams) => {
    const signing = await signingOf(request.project)
    const s = request.query.s
    if (s !== undefined) {
      if (typeof s !== 'string' || !verifyVariantSignature(signing.secret, request.url, s))
        throw forbidden('The signature (s) does not match this URL', 's')
      return
    }
    if (signing.requireSignature)
      throw forbidden('This project serves variants only with a signature (s)', 's')
    // The project's own allow-list where it has one (`medialib projects image-signing`), else the server's.
    const outside = outsideAllowList(params, {
      sizes: signing.allowedSizes ?? deps.allowList.sizes,
      formats: (signing.allowedFormats as VariantAllowList['formats'] | undefined) ?? deps.allowList.formats,
    })
    if (outside)
      throw forbidden(`'${outside}' is outside the allow-list; sign the URL (s) to use it`, outside)
  }

  const answer = async (
    request: VariantRequest,
    entry: MediaEntry,
    params: VariantParams,
    version: number | undefined,
  ): Promise<VariantAnswer> => {
    if (!entry.asset.mimeType.toLowerCase().startsWith('image/'))
      throw notFound(`Entry '${entry.id}' is not an image: it has no variants`)
    const source = await deps.sources.of(request.project, entry)
    const format = chooseFormat(params, request.accept, entry.asset.mimeType)
    const canonical = canonicalVariant(params, format)
    const id = hash(`${source.tag}|${version ?? ''}|${canonical}`)
    const key = `v/${hash(entry.asset.key)}/${id}.${format}`
    const contentType = VARIANT_CONTENT_TYPES[format]
    // The original is read inside the pool too: the pool bounds how many originals are in memory at once.
    const render = () =>
      deps.pool.run(request.project, async () => {
        const rendered = await renderVariant(await source.input(), params, format, {
          timeoutSeconds: deps.timeoutSeconds,
          maxInputPixels: deps.maxInputPixels,
        })
        return rendered.body
      })
    return {
      etag: `"${id.slice(0, 32)}"`,
      lastModified: source.lastModified,
      contentType,
      variesByAccept: params.autoFormat,
      async body() {
        const cached = await deps.cache.get(request.project, key)
        if (cached) return cached
        // Concurrent requests for one missing variant share one rendering (in this process).
        // The bytes go out as soon as they are made; the cache stores them meanwhile, and until it has,
        // a request for the same variant gets them from here.
        const slot = `${request.project}/${key}`
        let pending = inFlight.get(slot)
        if (!pending) {
          const rendering = render()
          pending = rendering
          inFlight.set(slot, rendering)
          rendering
            .then(
              (made) => deps.cache.put(request.project, key, made, contentType).catch(deps.onCacheError),
              () => undefined,
            )
            .finally(() => inFlight.delete(slot))
        }
        return pending
      },
    }
  }

  return {
    original: async (project, entry) => (await deps.sources.of(project, entry)).read(),
    async byKey(request) {
      const params = parseVariantParams(request.query, { maxDimension: deps.maxDimension })
      if (!params) return undefined
      await authorize(request, params)
      const entry = await deps.entryOfKey(request.project, request.key)
      if (!entry) throw new NotFoundError({ message: 'No image found.' })
      const mediaType = (await deps.mediaTypesOf(request.project)).get(entry.mediaType)
      if (deps.isWithheld(entry, mediaType))
        throw forbidden('The requested image is revoked or marked as invalid')
      return answer(request, entry, params, undefined)
    },
    async byEntry(request) {
      // `v` (the entry version) only busts browser caches: the cache key holds the version anyway.
      const { crop, v: _version, ...rest } = request.query
      if (crop !== undefined && typeof crop !== 'string')
        throw new BadRequestError({ message: "Invalid image parameter 'crop': is given more than once" })
      const params = parseVariantParams(
        { ...rest, fit: rest.fit ?? 'crop' },
        { maxDimension: deps.maxDimension },
      )!
      await authorize(request, params)
      const entry = await deps.getEntry(request.project, request.id)
      const mediaType = (await deps.mediaTypesOf(request.project)).get(entry.mediaType)
      if (!request.serveWithheld && deps.isWithheld(entry, mediaType))
        throw forbidden('The requested image is revoked or marked as invalid')
      const { crops, focalPoint } = cropsOf(entry, mediaType)
      if (crop !== undefined) {
        const named = crops.find((c) => c.name === crop)
        if (!named)
          throw new BadRequestError({
            message: `Invalid image parameter 'crop': entry '${entry.id}' has no crop named '${crop}'`,
            crop: `must name one of the entry's crops: ${crops.map((c) => c.name).join(', ') || 'none'}`,
          })
        if (params.rect)
          throw new BadRequestError({
            message: "Invalid image parameter 'rect': cannot be combined with crop",
            rect: 'cannot be combined with crop',
          })
        params.rect = {
          x: Math.round(named.x),
          y: Math.round(named.y),
          width: Math.max(1, Math.round(named.width)),
          height: Math.max(1, Math.round(named.height)),
        }
      }
      // The focal point is in source pixels; it becomes a fraction of the region that is resized.
      if (!params.focal && focalPoint && params.fit === 'crop') {
        const region = params.rect ?? {
          x: 0,
          y: 0,
          width: entry.asset.width ?? 0,
          height: entry.asset.height ?? 0,
        }
        if (region.width > 0 && region.height > 0)
          params.focal = {
            x: clamp01((focalPoint.x - region.x) / region.width),
            y: clamp01((focalPoint.y - region.y) / region.height),
          }
      }
      return answer(request, entry, params, entry.version)
    },
  }
}
