import type { Ajv, ErrorObject, ValidateFunction } from 'ajv'
import { firstPerPath, ruleOf } from './ajv.js'
import type { Asset, MediaEntry, MediaKind, Translation } from './entry.js'
import type { CompiledMediaType, MetadataError } from './media-types/metadata-validator.js'
import { canonicalMimeType, MIME_TYPE_PATTERN, MIME_TYPE_RULE } from './mime-type.js'

/** Why an entry of an import was refused. The presenter of each API version words it. */
export type EntryFailure =
  | { kind: 'validation'; message: string; errors?: { path: string; message: string }[] }
  | { kind: 'metadata'; errors: MetadataError[] }
  | { kind: 'unique'; field: 'id' | 'externalId'; value: string }

/**
 * An entry that passed every check that does not need the database: the client's part of a MediaEntry.
 * `id` is set when the client gave one; otherwise the service generates it.
 */
export type ValidEntry = Pick<
  MediaEntry,
  'mediaType' | 'systemName' | 'externalId' | 'asset' | 'metadata' | 'translations'
> &
  Partial<Pick<MediaEntry, 'id'>>

export type EntryCheck = { ok: true; entry: ValidEntry } | { ok: false; failure: EntryFailure }

export const ENTRY_ID_PATTERN = '^[a-zA-Z0-9-]{1,32}$'

/**
 * Ids that name routes of their own under `/api/:apiVersion/mediaLibrary/` (Fastify prefers a static segment
 * to `:id`, so `GET /mediaLibrary/sources` could never read an entry called `sources`): refused on create.
 */
export const RESERVED_ENTRY_IDS: ReadonlySet<string> = new Set([
  'sources',
  'serve-image',
  'knownHashes',
  'upload',
  'delete',
])

/** Image urls must end in a known extension (the reference's pattern, made case-insensitive). */
const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'mp4', 'mov']
const anyCase = (word: string) => [...word].map((c) => `[${c}${c.toUpperCase()}]`).join('')
const IMAGE_URL_PATTERN = `(http)?s?:?(\\/\\/[^"']*\\.(?:${IMAGE_EXTENSIONS.map(anyCase).join('|')}))`
const ANY_URL_PATTERN = `(http)?s?:?(\\/\\/[^"']*\\.*)`

const entrySchema = {
  type: 'object',
  required: ['mediaType', 'asset'],
  properties: {
    id: {
      type: 'string',
      pattern: ENTRY_ID_PATTERN,
      errorText: 'must be 1 to 32 characters of a-z, A-Z, 0-9 and -',
    },
    systemName: { type: 'string', minLength: 1, maxLength: 255 },
    externalId: { type: 'string', minLength: 1, maxLength: 1024 },
    mediaType: { type: 'string', minLength: 1, maxLength: 50 },
    asset: { type: 'object' },
    metadata: { type: 'object' },
    translations: {
      type: 'array',
      maxItems: 200,
      items: {
        type: 'object',
        required: ['locale', 'metadata'],
        properties: {
          locale: { type: 'string', pattern: '^[a-z][a-zA-Z0-9-]+$', maxLength: 35 },
          metadata: { type: 'object' },
          asset: { type: 'object' },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
}

function assetSchema(kind: MediaKind): Record<string, unknown> {
  const dimension = { type: 'number', minimum: 0 }
  const properties: Record<string, unknown> = {
    // The one key grammar (src/storage/key.ts); every relative key is the client's, `v/…` included.
    key: { type: 'string', storageKey: true },
    url: {
      type: 'string',
      minLength: 1,
      maxLength: 4096,
      pattern: kind === 'mediaImage' ? IMAGE_URL_PATTERN : ANY_URL_PATTERN,
      errorText:
        kind === 'mediaImage' ? `must be a URL ending in .${IMAGE_EXTENSIONS.join(', .')}` : 'must be a URL',
    },
    size: { type: 'number', minimum: 0 },
    mimeType: { type: 'string', maxLength: 255, pattern: MIME_TYPE_PATTERN, errorText: MIME_TYPE_RULE },
    filename: { type: 'string', minLength: 1, maxLength: 1024 },
    width: dimension,
    height: dimension,
    duration: { type: 'number', minimum: 0 },
  }
  const required = ['key', 'url', 'size', 'mimeType', 'filename']
  if (kind === 'mediaImage' || kind === 'mediaVideo') required.push('width', 'height')
  if (kind === 'mediaVideo') required.push('duration')
  if (kind === 'mediaFile') {
    delete properties.duration
  }
  if (kind === 'mediaImage') delete properties.duration
  return { type: 'object', required, properties, additionalProperties: false }
}

/** NUL cannot be stored in PostgreSQL text or jsonb, and a lone surrogate is not valid UTF-8. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Any NUL or surrogate at all: a cheap test that lets almost every string skip UNSTORABLE. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const SUSPECT = /[\u0000\ud800-\udfff]/
const unstorable = (text: string) => SUSPECT.test(text) && UNSTORABLE.test(text)

/** Deeper values are refused: no media type nests this deep, and walking them recursively could overflow. */
export const MAX_NESTING = 32
const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates'
const TOO_DEEP_MESSAGE = `must not nest deeper than ${MAX_NESTING} levels`

/**
 * The JSON pointer of the first string or key that no database can store faithfully, or of the first value
 * nested too deep, with the rule it breaks. Paths are built only on the way back from a hit: this runs over
 * every string of every entry.
 */
export function unstorablePath(value: unknown, depth = 0): { path: string; message: string } | undefined {
  if (typeof value === 'string')
    return unstorable(value) ? { path: '', message: UNSTORABLE_MESSAGE } : undefined
  if (value === null || typeof value !== 'object') return undefined
  if (depth >= MAX_NESTING) return { path: '', message: TOO_DEEP_MESSAGE }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorablePath(value[i], depth + 1)
      if (found !== undefined) return { path: `/${i}${found.path}`, message: found.message }
    }
    return undefined
  }
  for (const key of Object.keys(value)) {
    if (unstorable(key)) return { path: `/${key.replace(UNSTORABLE, '\uFFFD')}`, message: UNSTORABLE_MESSAGE }
    const found = unstorablePath((value as Record<string, unknown>)[key], depth + 1)
    if (found !== undefined) return { path: `/${key}${found.path}`, message: found.message }
  }
  return undefined
}

function describe(e: ErrorObject, prefix = ''): { path: string; message: string } {
  const at = prefix + e.instancePath
  if (e.keyword === 'required')
    return { path: `${at}/${String(e.params.missingProperty)}`, message: 'is required' }
  if (e.keyword === 'additionalProperties') {
    return { path: `${at}/${String(e.params.additionalProperty)}`, message: 'is not an allowed property' }
  }
  return { path: at || '/', message: ruleOf(e) }
}

function validationFailure(errors: { path: string; message: string }[]): EntryCheck {
  const [first] = errors
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
  return {
    ok: false,
    failure: {
      kind: 'validation',
      message: `Invalid entry: '${first?.path}' ${first?.message}${more}`,
      errors,
    },
  }
}

/** The asset with its (valid) mimeType in stored form; the same object when it already is. */
function withCanonicalType(asset: Asset): Asset {
  const mimeType = canonicalMimeType(asset.mimeType)
  return mimeType === asset.mimeType ? asset : { ...asset, mimeType }
}

/** Checks entries against the request rules, the asset schema of their kind and their media type's metadata. */
export interface EntryValidator {
  check(raw: unknown, mediaTypes: ReadonlyMap<string, CompiledMediaType>): EntryCheck
}

export function createEntryValidator(ajv: Ajv): EntryValidator {
  const shape: ValidateFunction = ajv.compile(entrySchema)
  const assets: Record<MediaKind, ValidateFunction> = {
    mediaImage: ajv.compile(assetSchema('mediaImage')),
    mediaVideo: ajv.compile(assetSchema('mediaVideo')),
    mediaFile: ajv.compile(assetSchema('mediaFile')),
  }

  return {
    check(raw, mediaTypes) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        return validationFailure([{ path: '/', message: 'must be an object' }])
      }
      const unstorableAt = unstorablePath(raw)
      if (unstorableAt !== undefined) {
        return validationFailure([{ path: unstorableAt.path || '/', message: unstorableAt.message }])
      }
      if (!shape(raw)) return validationFailure(firstPerPath(shape.errors ?? []).map((e) => describe(e)))
      const input = raw as ValidEntry & { translations?: Translation[] }
      if (input.id !== undefined && RESERVED_ENTRY_IDS.has(input.id)) {
        return validationFailure([
          {
            path: '/id',
            message: `'${input.id}' is reserved (a route of its own under /mediaLibrary/); choose another id`,
          },
        ])
      }
      if (input.externalId !== undefined && input.systemName === undefined) {
        return {
          ok: false,
          failure: { kind: 'validation', message: 'An asset with an externalId also requires a systemName' },
        }
      }
      const mediaType = mediaTypes.get(input.mediaType)
      if (!mediaType) {
        return validationFailure([
          {
            path: '/mediaType',
            message: `must be a media type of the project (${[...mediaTypes.keys()].join(', ')}), got '${input.mediaType}'`,
          },
        ])
      }
      const validateAsset = assets[mediaType.kind]
      const assetErrors: { path: string; message: string }[] = []
      if (!validateAsset(input.asset)) {
        for (const e of firstPerPath(validateAsset.errors ?? [])) assetErrors.push(describe(e, '/asset'))
      }
      const locales = new Set<string>()
      input.translations?.forEach((t, i) => {
        if (locales.has(t.locale)) {
          assetErrors.push({ path: `/translations/${i}/locale`, message: `repeats the locale '${t.locale}'` })
        }
        locales.add(t.locale)
        if (t.asset !== undefined && !validateAsset(t.asset)) {
          for (const e of firstPerPath(validateAsset.errors ?? [])) {
            assetErrors.push(describe(e, `/translations/${i}/asset`))
          }
        }
      })
      if (assetErrors.length > 0) return validationFailure(assetErrors)

      const metadata = input.metadata ?? {}
      const metadataErrors = mediaType.validateMetadata(metadata)
      for (const t of input.translations ?? []) {
        metadataErrors.push(...mediaType.validateTranslationMetadata(t.metadata, t.locale))
      }
      if (metadataErrors.length > 0)
        return { ok: false, failure: { kind: 'metadata', errors: metadataErrors } }

      const entry: ValidEntry = {
        mediaType: input.mediaType,
        asset: withCanonicalType(input.asset),
        metadata,
      }
      if (input.id !== undefined) entry.id = input.id
      if (input.systemName !== undefined) entry.systemName = input.systemName
      if (input.externalId !== undefined) entry.externalId = input.externalId
      if (input.translations !== undefined) {
        entry.translations = input.translations.map((t) =>
          t.asset === undefined ? t : { ...t, asset: withCanonicalType(t.asset) },
        )
      }
      return { ok: true, entry }
    },
  }
}
