/**
 * Form fields generated from a media type's metadata config. Values are kept as the API stores them;
 * `toValue` turns a field's text back into the API value (or throws a message for unparseable input).
 * The validation itself is the server's: its messages are shown next to the fields.
 */
import type { JSX } from 'preact'
import type { PropertyDef } from './api-types.js'

/** What a field holds while it is edited: its text, or a checkbox's state. */
export type FieldText = string | boolean
export type FieldKind = 'text' | 'textarea' | 'checkbox' | 'number' | 'select' | 'lines' | 'date' | 'json'

export function fieldKind(def: PropertyDef): FieldKind {
  switch (def.type) {
    case 'li-text':
      return def.config?.allowNewlines ? 'textarea' : 'text'
    case 'li-boolean':
    case 'li-invalid':
      return 'checkbox'
    case 'li-integer':
    case 'li-system-integer':
      return 'number'
    case 'li-enum':
      return def.config?.dataProvider?.items ? 'select' : 'text'
    case 'li-string-list':
      return 'lines'
    case 'li-date':
      return 'date'
    case 'li-datetime':
    case 'li-system-datetime':
    case 'li-external-id':
    case 'li-media-handle':
    case 'li-color':
      return 'text'
    default:
      return 'json'
  }
}

/** The text a field shows for a stored value. */
export function toText(def: PropertyDef, value: unknown): FieldText {
  const kind = fieldKind(def)
  if (value === undefined || value === null) return kind === 'checkbox' ? false : ''
  if (kind === 'checkbox') return value === true
  if (kind === 'lines') return Array.isArray(value) ? value.join('\n') : JSON.stringify(value)
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
  if (kind === 'lines')
    return text
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)
  if (kind === 'json') {
    try {
      return JSON.parse(text)
    } catch {
      throw new Error('is not valid JSON')
    }
  }
  return text
}

/** `idPrefix` keeps ids apart when a page shows two forms (the usage log's params use `u-`). */
export interface MetadataFieldProps {
  def: PropertyDef
  text: FieldText
  error?: string | undefined
  readOnly?: boolean
  onChange: (text: FieldText) => void
  idPrefix?: string
}

export function MetadataField({ def, text, error, readOnly, onChange, idPrefix = 'm-' }: MetadataFieldProps) {
  const id = `${idPrefix}${def.handle}`
  const kind = fieldKind(def)
  const label = def.ui?.label ?? def.config?.label ?? def.handle
  const describedBy = [error ? `${id}-error` : '', def.config?.maxLength ? `${id}-hint` : '']
    .filter(Boolean)
    .join(' ')
  const common: {
    id: string
    name: string
    disabled: boolean | undefined
    'aria-invalid': boolean | undefined
    'aria-describedby': string | undefined
    'aria-required': boolean | undefined
  } = {
    id,
    name: def.handle,
    disabled: readOnly,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy || undefined,
    'aria-required': def.config?.required ? true : undefined,
  }
  const onText = (e: { currentTarget: { value: string } }) => onChange(e.currentTarget.value)
  const value = typeof text === 'string' ? text : ''
  let control: JSX.Element
  if (kind === 'checkbox') {
    control = (
      <input
        type="checkbox"
        {...common}
        checked={text === true}
        onChange={(e) => onChange(e.currentTarget.checked)}
      />
    )
  } else if (kind === 'select') {
    control = (
      <select {...common} value={value} onChange={onText}>
        <option value="">(none)</option>
        {(def.config?.dataProvider?.items ?? []).map((i) => (
          <option value={String(i.value)}>{i.label ?? i.value}</option>
        ))}
      </select>
    )
  } else if (kind === 'textarea' || kind === 'lines' || kind === 'json') {
    control = <textarea {...common} rows={kind === 'json' ? 5 : 3} value={value} onInput={onText}></textarea>
  } else {
    const type = kind === 'number' ? 'text' : kind === 'date' ? 'date' : 'text'
    const inputMode = kind === 'number' ? 'numeric' : undefined
    control = <input type={type} inputmode={inputMode} {...common} value={value} onInput={onText} />
  }
  return (
    <div class={`field meta ${error ? 'invalid' : ''}`}>
      <label for={id}>
        {label}
        {def.config?.required ? <span aria-hidden="true">*</span> : ''}
        <span class="type">{def.type}</span>
      </label>
      {control}
      {def.config?.maxLength && (
        <span id={`${id}-hint`} class="hint">
          At most {def.config.maxLength} characters.
        </span>
      )}
      {error && (
        <span id={`${id}-error`} class="error">
          {error}
        </span>
      )}
    </div>
  )
}
