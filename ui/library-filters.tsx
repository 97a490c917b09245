// The library's search form (split from library.tsx): a draft of the filters, applied on submit or, for a
// choice from a list, at once.
import { useEffect, useState } from 'preact/hooks'
import type { TargetedEvent } from 'preact'
import type { MediaType } from './api-types.js'
import { type FilterName, type Filters, SORTS, sortOf, STATES } from './library-query.js'
import { toFirstTile } from './library-tiles.js'

export interface FilterFormProps {
  filters: Filters
  mediaTypes: MediaType[]
  onApply: (filters: Filters) => void
}

export function FilterForm({ filters, mediaTypes, onApply }: FilterFormProps) {
  const [draft, setDraft] = useState(filters)
  useEffect(() => setDraft(filters), [JSON.stringify(filters)])
  type Changed = TargetedEvent<HTMLInputElement | HTMLSelectElement>
  const set = (key: FilterName) => (e: Changed) => setDraft({ ...draft, [key]: e.currentTarget.value })
  const setNow = (key: FilterName) => (e: Changed) => onApply({ ...draft, [key]: e.currentTarget.value })
  const submit = (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault()
    onApply(draft)
  }
  return (
    <form class="filters" role="search" onSubmit={submit}>
      <div class="field grow">
        <label for="f-q">Search</label>
        <input
          id="f-q"
          type="search"
          value={draft.q}
          onInput={set('q')}
          onKeyDown={toFirstTile}
          placeholder="words in titles, captions, filenames"
          aria-keyshortcuts="ArrowDown"
        />
      </div>
      <div class="field">
        <label for="f-type">Media type</label>
        <select id="f-type" value={draft.mediaType} onChange={setNow('mediaType')}>
          <option value="">All</option>
          {mediaTypes.map((t) => (
            <option value={t.handle}>{t.info?.label ?? t.handle}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-system">System name</label>
        <input id="f-system" value={draft.systemName} onInput={set('systemName')} />
      </div>
      <div class="field">
        <label for="f-state">State</label>
        <select id="f-state" value={draft.state} onChange={setNow('state')}>
          {STATES.map(([v, label]) => (
            <option value={v}>{label}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-used">Usage</label>
        <select id="f-used" value={draft.used} onChange={setNow('used')}>
          <option value="">Used and unused</option>
          <option value="false">Unused</option>
          <option value="true">Used</option>
        </select>
      </div>
      <div class="field">
        <label for="f-source">Source</label>
        <select id="f-source" value={draft.sourceState} onChange={setNow('sourceState')}>
          <option value="">Any</option>
          <option value="missing">Missing from its source</option>
        </select>
      </div>
      <div class="field">
        <label for="f-after">Created from</label>
        <input id="f-after" type="date" value={draft.createdAfter} onChange={setNow('createdAfter')} />
      </div>
      <div class="field">
        <label for="f-before">Created until</label>
        <input id="f-before" type="date" value={draft.createdBefore} onChange={setNow('createdBefore')} />
      </div>
      <div class="field">
        <label for="f-sort">Sort</label>
        <select id="f-sort" value={sortOf(draft)} onChange={setNow('sort')}>
          {SORTS.filter(([v]) => v !== 'relevance' || draft.q.trim()).map(([v, label]) => (
            <option value={v}>{label}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-view">View</label>
        <select id="f-view" value={draft.view} onChange={setNow('view')}>
          <option value="">Automatic</option>
          <option value="grid">Grid</option>
          <option value="list">List</option>
        </select>
      </div>
      <div class="field">
        <button type="submit">Search</button>
      </div>
    </form>
  )
}
