/**
 * How a metadata property reads in the entry form (pure, no DOM; unit-tested in
 * test/unit/ui-field-model.test.ts): its label and help text from the media type config, the control its
 * `li-*` plugin calls for, the text that control edits, the API value that text stands for, and what a
 * read-only session sees instead of a control.
 */
import { dateTime } from './format.js'
import type { FieldDef } from './form-model.js'

/** A property as the form sees it: the form model's view plus the config's words and UI hints. */
export interface PropertyDef extends FieldDef {
  config?: FieldDef['config'] & {
    label?: string
    description?: string
    hideFromForm?: boolean
    namedCrops?: { name: string; ratio?: string; isOptional?: boolean }[]
    [other: string]: unknown
  }
  ui?: { label?: string; description?: string; component?: string; [other: string]: unknown }
}

/** What a field holds while it is edited: its text, or a checkbox's state. */
export type FieldText = string | boolean
export type FieldKind =
  'text' | 'textarea' | 'checkbox' | 'number' | 'select' | 'chips' | 'date' | 'datetime' | 'json'

/** A text limit above which a one-line input is too small to read what it holds. */
export const LONG_TEXT = 200
/**
 * Default properties that hold prose (the media types of a project without a media types file:
 * src/media/media-types/media-type.ts): a text area unless their config says otherwise.
 */
const PROSE = new Set(['caption', 'description'])

/** The control a property gets. */
export function fieldKind(def: PropertyDef): FieldKind {
  const c = def.config
  switch (def.type) {
    case 'li-text': {
      if (c?.dataProvider?.items?.length) return 'select'
      if (c?.allowNewlines === false) return 'text'
      const long =
        c?.allowNewlines === true ||
        /textarea/i.test(def.ui?.component ?? '') ||
        (c?.maxLength ?? 0) > LONG_TEXT ||
        (PROSE.has(def.handle) && c?.maxLength === undefined)
      return long ? 'textarea' : 'text'
    }
    case 'li-boolean':
    case 'li-invalid':
      return 'checkbox'
    case 'li-integer':
    case 'li-system-integer':
      return c?.dataProvider?.items?.length ? 'select' : 'number'
    case 'li-enum':
      return c?.dataProvider?.items ? 'select' : 'text'
    case 'li-string-list':
      return 'chips'
    case 'li-date':
      return 'date'
    case 'li-datetime':
    case 'li-system-datetime':
      return 'datetime'
    case 'li-external-id':
    case 'li-media-handle':
    case 'li-color':
      return 'text'
    default:
      return 'json'
  }
}

/** The label: the config's (`config.label`, or Livingdocs' `ui.label`), else the handle. */
export function labelOf(def: PropertyDef): string {
  return def.ui?.label ?? def.config?.label ?? def.handle
}

/** The help text under the field: the config's `description` (or `ui.description`), if any. */
export function helpOf(def: PropertyDef): string | undefined {
  return def.config?.description ?? def.ui?.description ?? undefined
}

const pad = (n: number) => String(n).padStart(2, '0')

/** An ISO date-time as a `datetime-local` input shows it (the browser's time zone), seconds kept. */
export function toLocalDateTime(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
  return `${date}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** A `datetime-local` value as the ISO date-time the API stores (UTC); as typed when it is no date. */
export function fromLocalDateTime(local: string): string {
  const d = new Date(local)
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(local) && !Number.isNaN(d.getTime()) ? d.toISOString() : local
}

/** The items of a string list held as text, one per line. */
export function chipsOf(text: FieldText): string[] {
  return typeof text === 'string'
    ? text
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean)
    : []
}

/** The text a field shows for a stored value. */
export function toText(def: PropertyDef, value: unknown): FieldText {
  const kind = fieldKind(def)
  if (value === undefined || value === null) return kind === 'checkbox' ? false : ''
  if (kind === 'checkbox') return value === true
  if (kind === 'chips') return Array.isArray(value) ? value.join('\n') : JSON.stringify(value)
  if (kind === 'datetime') return typeof value === 'string' ? toLocalDateTime(value) : JSON.stringify(value)
  if (kind === 'json') return JSON.stringify(value, null, 2)
  return String(value)
}

/** The API value of a field's text; undefined removes the property. */
export function toValue(def: PropertyDef, text: FieldText): unknown {
  const kind = fieldKind(def)
  if (kind === 'checkbox') return text === true ? true : undefined
  if (typeof text !== 'string' || text === '') return undefined
  if (kind === 'number') return /^-?\d+$/.test(text.trim()) ? Number(text) : text
  if (kind === 'select') {
    const item = def.config?.dataProvider?.items?.find((i) => String(i.value) === text)
    return item ? item.value : text
  }
  if (kind === 'chips') return chipsOf(text)
  if (kind === 'datetime') return fromLocalDateTime(text)
  if (kind === 'json') {
    try {
      return JSON.parse(text)
    } catch {
      throw new Error('is not valid JSON')
    }
  }
  return text
}

/** What a read-only session sees of a stored value: plain words, `—` when there is none. */
export function readText(def: PropertyDef, value: unknown): string {
  const kind = fieldKind(def)
  if (kind === 'checkbox') return value === true ? 'Yes' : 'No'
  if (value === undefined || value === null || value === '') return '—'
  if (kind === 'select') {
    const item = def.config?.dataProvider?.items?.find((i) => i.value === value)
    return item?.label ?? String(value)
  }
  if (kind === 'chips' && Array.isArray(value)) return value.length ? value.map(String).join(', ') : '—'
  if (kind === 'datetime' && typeof value === 'string') return dateTime(value)
  if (typeof value === 'string' || typeof value === 'number') return String(value)
  return JSON.stringify(value, null, 2)
}
