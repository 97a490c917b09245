// The entry form's rules (split from entry.tsx): asking before unsaved edits are left behind, a field's
// problem before saving, the field errors of a refused save, and the text of a version conflict.
import { useEffect } from 'preact/hooks'
import { type ApiError, messageOf } from './api.js'
import type { Entry, PropertyDef } from './api-types.js'
import { fieldProblem } from './form-model.js'
import { type FieldText, toValue } from './metadata-form.js'

const LEAVE = 'This entry has unsaved changes. Leave and discard them?'

/**
 * While `dirty`, leaving the page asks first: in-app links (a capturing listener runs before their
 * click handlers), Escape back to the grid (library.js leaves on an Escape nobody prevented) and closing or
 * reloading the tab (beforeunload).
 */
export function useUnsavedGuard(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return
    const onClick = (e: MouseEvent) => {
      const a = (e.target as Element | null)?.closest?.('a[href]')
      if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
      if (!window.confirm(LEAVE)) {
        e.preventDefault()
        e.stopPropagation()
      }
    }
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return
      if ((e.target as Element | null)?.closest?.('input, textarea, select, dialog, [contenteditable]'))
        return
      if (!window.confirm(LEAVE)) e.preventDefault()
    }
    const onUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault()
      e.returnValue = LEAVE
    }
    document.addEventListener('click', onClick, true)
    document.addEventListener('keydown', onKey, true)
    window.addEventListener('beforeunload', onUnload)
    return () => {
      document.removeEventListener('click', onClick, true)
      document.removeEventListener('keydown', onKey, true)
      window.removeEventListener('beforeunload', onUnload)
    }
  }, [dirty])
}

/** A field's problem before any save: its text does not parse, or its value breaks the config. */
export function localProblem(def: PropertyDef, text: FieldText): string | undefined {
  try {
    return fieldProblem(def, toValue(def, text))
  } catch (err) {
    return messageOf(err)
  }
}

/** Field errors of a refused PATCH, keyed by property, from either metadata error shape of the API. */
interface MetadataErrorItem {
  metadataProperty?: string
  translationLocale?: string
  message?: string
}

export function fieldErrors(body: ApiError['body']): Record<string, string> {
  const d = (body?.error_details ?? {}) as {
    errors?: MetadataErrorItem[]
    invalidMetadata?: MetadataErrorItem[]
  }
  const items = d.errors ?? d.invalidMetadata ?? []
  const out: Record<string, string> = {}
  for (const item of items) {
    if (item.metadataProperty && !item.translationLocale) out[item.metadataProperty] ??= item.message ?? ''
  }
  return out
}

export interface Conflict {
  mine: number
  theirs: Entry | null
}

export function conflictText({ mine, theirs }: Conflict) {
  const now = theirs ? `version ${theirs.version}` : 'a newer version'
  return `You edited version ${mine}; the library now holds ${now}. Nothing was saved and nothing was overwritten: your edits are still in the form.`
}
