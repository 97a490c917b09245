import { UsageError } from '../errors.js'

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** The shortest schedule: a rescan lists the whole source, so more often than this is refused. */
export const MIN_RESCAN_MS = 60_000

/**
 * A schedule's interval: `90s`, `15m`, `1h30m`, `1d` (at least a minute, at most a year); `off` (or `0`)
 * is null: no schedule.
 */
export function parseDuration(text: string): number | null {
  const spec = text.trim().toLowerCase()
  if (spec === 'off' || spec === '0') return null
  if (!/^(\d+[smhd])+$/.test(spec)) {
    throw new UsageError(`A duration is like 90s, 15m, 1h30m or 1d (or off): '${text}'`)
  }
  let ms = 0
  for (const [, n, unit] of spec.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNITS[unit!]!
  if (ms < MIN_RESCAN_MS || ms > 366 * UNITS.d!) {
    throw new UsageError(`A rescan interval is from 1m to 366d: '${text}'`)
  }
  return ms
}

/** `5400000` → `1h30m`. */
export function formatDuration(ms: number): string {
  let rest = ms
  let out = ''
  for (const [unit, size] of Object.entries(UNITS).reverse()) {
    const n = Math.floor(rest / size)
    if (n > 0) out += `${n}${unit}`
    rest -= n * size
  }
  return out || '0s'
}
