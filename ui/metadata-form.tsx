/**
 * A form field generated from a media type's metadata config (docs/ui.md): labelled and explained by the
 * config, with the control its `li-*` plugin calls for (ui/field-model.ts). Values are kept as the API
 * stores them; `toValue` turns a field's text back into the API value (or throws a message for unparseable
 * input). A read-only session sees the value as text, not a disabled control.
 */
import { useState } from 'preact/hooks'
import {
  chipsOf,
  fieldKind,
  type FieldText,
  helpOf,
  labelOf,
  type PropertyDef,
  readText,
  toValue,
} from './field-model.js'

export { fieldKind, toText, toValue, type FieldText } from './field-model.js'

export interface MetadataFieldProps {
  def: PropertyDef
  text: FieldText
  error?: string | undefined
  /** The session cannot write: the value is shown as text. */
  readOnly?: boolean
  /** A save is under way: the control stays, disabled. */
  disabled?: boolean
  onChange: (text: FieldText) => void
  idPrefix?: string
}

/** The control's own props: id, name, state and what describes it. */
interface Common {
  id: string
  name: string
  disabled: boolean | undefined
  'aria-invalid': boolean | undefined
  'aria-describedby': string | undefined
  'aria-required': boolean | undefined
}

/**
 * A string list as chips: each item with its remove button, and an input that adds what is typed on Enter
 * (or on leaving it; Backspace in the empty input removes the last). The field's text stays one item per line.
 */
function Chips({
  common,
  text,
  label,
  options,
  onChange,
}: {
  common: Common
  text: FieldText
  label: string
  /** The config's items, offered as the input's suggestions. */
  options: (string | number)[]
  onChange: (text: string) => void
}) {
  const items = chipsOf(text)
  const [draft, setDraft] = useState('')
  const add = (value: string) => {
    const more = value
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)
    if (more.length) onChange([...items, ...more].join('\n'))
    setDraft('')
  }
  return (
    <div class="chips">
      <ul
        class="chip-list"
        aria-label={`${label}: ${items.length === 1 ? '1 item' : `${items.length} items`}`}
      >
        {items.map((item, i) => (
          <li class="chip" key={`${i}:${item}`}>
            <span>{item}</span>
            <button
              type="button"
              class="chip-remove"
              disabled={common.disabled}
              aria-label={`Remove ${item}`}
              onClick={() => onChange(items.filter((_, j) => j !== i).join('\n'))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <input
        {...common}
        value={draft}
        placeholder="Add: type, then Enter"
        list={options.length ? `${common.id}-options` : undefined}
        onInput={(e) => {
          const v = e.currentTarget.value
          if (v.includes('\n')) add(v)
          else setDraft(v)
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault()
            add(draft)
          } else if (e.key === 'Backspace' && draft === '' && items.length) {
            onChange(items.slice(0, -1).join('\n'))
          }
        }}
        onBlur={() => draft.trim() && add(draft)}
      />
      {options.length > 0 && (
        <datalist id={`${common.id}-options`}>
          {options.map((o) => (
            <option value={String(o)} />
          ))}
        </datalist>
      )}
    </div>
  )
}

/** `idPrefix` keeps ids apart when a page shows two forms (the usage log's params use `u-`). */
export function MetadataField({
  def,
  text,
  error,
  readOnly,
  disabled,
  onChange,
  idPrefix = 'm-',
}: MetadataFieldProps) {
  const id = `${idPrefix}${def.handle}`
  const kind = fieldKind(def)
  const label = labelOf(def)
  const help = helpOf(def)
  const max = def.config?.maxLength
  const hint = [help, max !== undefined && !readOnly ? `At most ${max} characters.` : '']
    .filter(Boolean)
    .join(' ')

  if (readOnly) {
    let value: unknown
    try {
      value = toValue(def, text)
    } catch {
      value = text
    }
    const shown = readText(def, value)
    return (
      <div class="field meta read-only">
        <span class="label" id={`${id}-label`}>
          {label}
        </span>
        <p
          id={id}
          class={kind === 'json' || kind === 'textarea' ? 'value pre' : 'value'}
          aria-labelledby={`${id}-label`}
          aria-describedby={hint ? `${id}-hint` : undefined}
        >
          {shown}
        </p>
        {hint && (
          <span id={`${id}-hint`} class="hint">
            {hint}
          </span>
        )}
      </div>
    )
  }

  const describedBy = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ')
  const common: Common = {
    id,
    name: def.handle,
    disabled,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy || undefined,
    'aria-required': def.config?.required ? true : undefined,
  }
  const onText = (e: { currentTarget: { value: string } }) => onChange(e.currentTarget.value)
  const value = typeof text === 'string' ? text : ''
  let control
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
  } else if (kind === 'chips') {
    const options = (def.config?.dataProvider?.items ?? []).map((i) => i.value)
    control = <Chips common={common} text={text} label={label} options={options} onChange={onChange} />
  } else if (kind === 'textarea' || kind === 'json') {
    const rows = kind === 'json' ? 5 : Math.min(8, Math.max(3, value.split('\n').length))
    control = <textarea {...common} rows={rows} value={value} onInput={onText}></textarea>
  } else {
    const type = kind === 'date' ? 'date' : kind === 'datetime' ? 'datetime-local' : 'text'
    const inputMode = kind === 'number' ? 'numeric' : undefined
    const step = kind === 'datetime' ? 1 : undefined
    control = (
      <input type={type} inputmode={inputMode} step={step} {...common} value={value} onInput={onText} />
    )
  }
  return (
    <div class={`field meta ${kind === 'checkbox' ? 'check ' : ''}${error ? 'invalid' : ''}`}>
      <label for={id}>
        {label}
        {def.config?.required ? <span aria-hidden="true">*</span> : ''}
      </label>
      {control}
      {hint && (
        <span id={`${id}-hint`} class="hint">
          {hint}
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
