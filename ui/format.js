/** Small formatting helpers shared by the views. */

export function bytes(n) {
  if (typeof n !== 'number') return '—'
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]} (${n.toLocaleString('en')} bytes)`
}

export function dateTime(iso) {
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
export function stateOf(entry) {
  return entry.state ?? 'active'
}

export function titleOf(entry) {
  const t = entry.metadata?.title
  return typeof t === 'string' && t ? t : entry.asset?.filename || entry.id
}
