import type { MediaKind } from '../entry.js'
import type { DeletionRoutine } from '../deletion-routine.js'

/** The config of one metadata property, as in Livingdocs' media type config. */
export interface PropertyConfig {
  required?: boolean
  requiredErrorMessage?: string
  minLength?: number
  maxLength?: number
  allowNewlines?: boolean
  minValue?: number
  maxValue?: number
  maxItems?: number
  translatable?: boolean
  index?: boolean
  hideFromForm?: boolean
  recommendedMinLength?: number
  recommendedMaxLength?: number
  dataProvider?: {
    type?: string
    items?: { label?: string; value: string | number; isDefault?: boolean }[]
    dataSource?: string
  }
  namedCrops?: { name: string; isOptional?: boolean }[]
  [other: string]: unknown
}

export interface PropertyDef {
  handle: string
  type: string
  config?: PropertyConfig
  ui?: Record<string, unknown>
}

/** One media type of a project: a handle, its kind, and the metadata it holds. */
export interface MediaTypeConfig {
  handle: string
  type: MediaKind
  info?: { label?: string; description?: string }
  metadata: PropertyDef[]
  asset?: { translatable?: boolean; replaceable?: boolean }
  /** Run by the worker on a schedule (issue #16; src/media/deletion-routines.service.ts). */
  deletionRoutine?: DeletionRoutine
  /** What an upload or URL import may bring (`maxFileSize` such as `15mb`, `allowedMimeTypes`). */
  uploadRestrictions?: { maxFileSize?: string | number; allowedMimeTypes?: string[] }
  /** EXIF/IPTC/XMP → metadata mappings of image imports (see src/jobs/probe.ts). */
  exifExtraction?: Record<string, unknown>
}

/** The metadata of media types that configure none: four texts. */
export const DEFAULT_PROPERTIES_HANDLES = ['title', 'caption', 'source', 'description'] as const

/** The default properties the full-text search covers: the texts editors search for. */
const DEFAULT_INDEXED: ReadonlySet<string> = new Set(['title', 'caption', 'description'])

const DEFAULT_PROPERTIES: PropertyDef[] = DEFAULT_PROPERTIES_HANDLES.map((handle) =>
  DEFAULT_INDEXED.has(handle)
    ? { handle, type: 'li-text', config: { index: true } }
    : { handle, type: 'li-text' },
)

/** The media types of a project created without a media types file. */
export function defaultMediaTypes(): MediaTypeConfig[] {
  return [
    { handle: 'image', type: 'mediaImage', metadata: DEFAULT_PROPERTIES },
    { handle: 'video', type: 'mediaVideo', metadata: DEFAULT_PROPERTIES },
    { handle: 'file', type: 'mediaFile', metadata: DEFAULT_PROPERTIES },
  ]
}
