import { readFileSync } from 'node:fs'
import YAML from 'yaml'
import { UsageError } from '../../errors.js'
import { createAjv } from '../ajv.js'
import type { MediaKind } from '../entry.js'
import { defaultMediaTypes, type MediaTypeConfig, type PropertyDef } from './media-type.js'
import { checkPropertyDef } from './metadata-plugins.js'
import { checkDeletionRoutine } from '../deletion-routine.js'
import { compileMediaType } from './metadata-validator.js'
import { checkUploadRestrictions } from './upload-restrictions.js'

const MEDIA_TYPE_HANDLE = /^[a-z][a-zA-Z0-9-]{2,49}$/
const PROPERTY_HANDLE = /^[a-zA-Z][a-zA-Z0-9-_]{2,49}$/
const KINDS: readonly MediaKind[] = ['mediaImage', 'mediaVideo', 'mediaFile']
/** The keys of a Livingdocs media type; those this server does not implement are accepted and ignored. */
const MEDIA_TYPE_KEYS = [
  'handle',
  'type',
  'info',
  'metadata',
  'asset',
  'exifExtraction',
  'hugoExtraction',
  'comyanExtraction',
  'mediaSources',
  'deletionRoutine',
  'editor',
  'managementDashboard',
  'hidden',
  'uploadRestrictions',
]
const PROPERTY_KEYS = ['handle', 'type', 'config', 'ui']

/** A problem per key that is not in `known` (a typo such as `metdata` would otherwise go unnoticed). */
function unknownKeys(value: Record<string, unknown>, known: readonly string[], where: string): string[] {
  return Object.keys(value)
    .filter((k) => !known.includes(k))
    .map((k) => `${where} has the unknown key '${k}' (known keys: ${known.join(', ')})`)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * Checks and normalises a media types config (a list, or `{mediaTypes: [...]}`), collecting every
 * problem. Adds the `image` media type when none is configured, as Livingdocs does.
 * Throws a UsageError listing all problems.
 */
export function normalizeMediaTypes(raw: unknown): MediaTypeConfig[] {
  const list = isObject(raw) && 'mediaTypes' in raw ? raw.mediaTypes : raw
  if (!Array.isArray(list))
    throw new UsageError('Media types must be a list, or an object with a mediaTypes list')
  const problems: string[] = []
  const result: MediaTypeConfig[] = []
  const handles = new Set<string>()
  list.forEach((item, i) => {
    const where = `mediaTypes[${i}]`
    if (!isObject(item)) {
      problems.push(`${where} must be an object`)
      return
    }
    const { handle, type, metadata, info, asset, uploadRestrictions, exifExtraction } = item
    const name = typeof handle === 'string' ? `${where} '${handle}'` : where
    if (typeof handle !== 'string' || !MEDIA_TYPE_HANDLE.test(handle)) {
      problems.push(
        `${where}.handle must match ${MEDIA_TYPE_HANDLE.source} (a lowercase letter, then 2 to 49 letters, digits or -), got ${JSON.stringify(handle)}`,
      )
    } else if (handles.has(handle)) {
      problems.push(`${name}: the handle is used twice`)
    } else {
      handles.add(handle)
    }
    problems.push(...unknownKeys(item, MEDIA_TYPE_KEYS, name))
    if (!KINDS.includes(type as MediaKind))
      problems.push(`${name}.type must be one of ${KINDS.join(', ')}, got ${JSON.stringify(type)}`)
    else if (handle === 'image' && type !== 'mediaImage')
      problems.push(`${name}.type must be mediaImage: the media type 'image' receives image uploads`)
    if (metadata !== undefined && !Array.isArray(metadata)) problems.push(`${name}.metadata must be a list`)
    const props: PropertyDef[] = []
    const propHandles = new Set<string>()
    ;(Array.isArray(metadata) ? metadata : []).forEach((p: unknown, j) => {
      const pwhere = `${name}.metadata[${j}]`
      if (!isObject(p)) {
        problems.push(`${pwhere} must be an object`)
        return
      }
      if (typeof p.handle !== 'string' || !PROPERTY_HANDLE.test(p.handle)) {
        problems.push(
          `${pwhere}.handle must match ${PROPERTY_HANDLE.source} (a letter, then 2 to 49 letters, digits, - or _), got ${JSON.stringify(p.handle)}`,
        )
        return
      }
      problems.push(...unknownKeys(p, PROPERTY_KEYS, `${pwhere} '${p.handle}'`))
      if (propHandles.has(p.handle)) problems.push(`${pwhere} '${p.handle}': the handle is used twice`)
      propHandles.add(p.handle)
      if (typeof p.type !== 'string') {
        problems.push(`${pwhere} '${p.handle}'.type must be a plugin name such as li-text`)
        return
      }
      if (p.config !== undefined && !isObject(p.config)) {
        problems.push(`${pwhere} '${p.handle}'.config must be an object`)
        return
      }
      const def: PropertyDef = { handle: p.handle, type: p.type }
      if (p.config !== undefined) def.config = p.config as PropertyDef['config']
      if (isObject(p.ui)) def.ui = p.ui
      for (const problem of checkPropertyDef(def)) problems.push(`${pwhere} '${p.handle}' ${problem}`)
      props.push(def)
    })
    const config: MediaTypeConfig = { handle: String(handle), type: type as MediaKind, metadata: props }
    if (isObject(info)) config.info = info as MediaTypeConfig['info']
    if (isObject(asset)) config.asset = asset as MediaTypeConfig['asset']
    const deletion = checkDeletionRoutine(item.deletionRoutine, name)
    problems.push(...deletion.problems)
    if (deletion.routine) config.deletionRoutine = deletion.routine
    problems.push(...checkUploadRestrictions(uploadRestrictions, `${name}.uploadRestrictions`))
    if (isObject(uploadRestrictions))
      config.uploadRestrictions = uploadRestrictions as MediaTypeConfig['uploadRestrictions']
    if (isObject(exifExtraction)) config.exifExtraction = exifExtraction
    result.push(config)
  })
  if (problems.length === 0) {
    // The checks above should leave nothing Ajv refuses; compiling here makes sure a bad config is
    // reported now rather than failing every request of the project later.
    const ajv = createAjv()
    for (const config of result) {
      try {
        compileMediaType(ajv, config)
      } catch (err) {
        problems.push(`media type '${config.handle}' cannot be compiled: ${(err as Error).message}`)
      }
    }
  }
  if (problems.length > 0) throw new UsageError(`Invalid media types:\n  - ${problems.join('\n  - ')}`)
  if (!handles.has('image')) {
    result.unshift(defaultMediaTypes()[0]!)
  }
  return result
}

/** Reads a media types file (YAML or JSON) and normalises it. */
export function readMediaTypesFile(file: string): MediaTypeConfig[] {
  return normalizeMediaTypes(readConfigFile(file, 'media types'))
}

/** A YAML or JSON file's content (`what` names it in errors, e.g. `media types`). */
export function readConfigFile(file: string, what: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsageError(`Cannot read ${what} file ${file}: ${(err as Error).message}`)
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text)
  } catch (err) {
    throw new UsageError(`Cannot parse ${what} file ${file}: ${(err as Error).message}`)
  }
}
