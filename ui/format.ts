/** Small formatting helpers shared by the views. */
import type { Entry, EntryState } from './api-types.js'

/**
 * An integer with thousands separators, as `toLocaleString('en')` writes it (`12,345`). Not that call
 * itself: its first use sets up the browser's number formatting, which cost the first grid page about 10 ms
 * of a cold start (bench:ui-first-page --profile).
 */
export function grouped(n: number): string {
  const digits = String(Math.trunc(Math.abs(n)))
  return `${n < 0 ? '-' : ''}${digits.replace(/\B(?=(\d{3})+$)/g, ',')}`
}

/** `1 entry`, `2 entries`, `1,000 entries`: the count with the word in its number. */
export function plural(n: number, one: string, many: string): string {
  return `${grouped(n)} ${n === 1 ? one : many}`
}

export function bytes(n: unknown): string {
  if (typeof n !== 'number') return '—'
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]} (${grouped(n)} bytes)`
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime())
    ? iso
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
}

/** `active`, `revoked` or `archived`, as the record's `state` field says (absent means active). */
export function stateOf(entry: Pick<Entry, 'state'>): EntryState {
  return entry.state ?? 'active'
}

export function titleOf(entry: Pick<Entry, 'id' | 'metadata'> & { asset?: { filename?: string } }): string {
  const t = entry.metadata?.title
  return typeof t === 'string' && t ? t : entry.asset?.filename || entry.id
}
