import { UsageError } from '../../errors.js'

const TOP_LEVEL = new Set(['id', 'systemName', 'externalId', 'mediaType'])
const NUMERIC_ASSET_FIELDS = new Set(['size', 'width', 'height', 'duration'])

/** Where a mapping's target goes: `id`, `asset.url`, `metadata.title`; a bare other name is metadata. */
function targetPath(target: string): string[] {
  if (TOP_LEVEL.has(target)) return [target]
  const [head, ...rest] = target.split('.')
  if ((head === 'asset' || head === 'metadata') && rest.length === 1 && rest[0]) return [head, rest[0]]
  if (!target.includes('.') && target !== 'asset' && target !== 'metadata') return ['metadata', target]
  throw new UsageError(
    `--map ${target}=…: the target must be id, systemName, externalId, mediaType, asset.<field>, metadata.<property> or a metadata property`,
  )
}

/** Parses `--map target=Column` options; a column may feed several targets. */
export function parseMappings(map: readonly string[]): { path: string[]; column: string }[] {
  return map.map((spec) => {
    const eq = spec.indexOf('=')
    if (eq <= 0 || eq === spec.length - 1) {
      throw new UsageError(`--map ${spec}: expected target=Column, e.g. --map title=Headline`)
    }
    return { path: targetPath(spec.slice(0, eq)), column: spec.slice(eq + 1) }
  })
}

/**
 * Builds the function that turns a CSV row into an import entry. Columns come from `--map`; a column
 * whose header already names a target (`id`, `asset.url`, `metadata.title`) maps to it without one.
 * `--set target=value` gives every row the same value. Empty cells are left out; asset sizes and
 * dimensions become numbers when they are numeric.
 */
export function createCsvMapper(
  header: readonly string[],
  map: readonly string[],
  mediaType?: string,
  set: readonly string[] = [],
) {
  const mappings = parseMappings(map)
  const constants = parseMappings(set).map(({ path, column }) => ({ path, value: column }))
  const missing = mappings.filter((m) => !header.includes(m.column)).map((m) => m.column)
  if (missing.length > 0) {
    throw new UsageError(
      `CSV has no column ${missing.map((c) => `'${c}'`).join(', ')} (columns: ${header.join(', ')})`,
    )
  }
  const mappedColumns = new Set(mappings.map((m) => m.column))
  for (const column of header) {
    if (mappedColumns.has(column)) continue
    if (TOP_LEVEL.has(column) || /^(asset|metadata)\.[^.]+$/.test(column)) {
      mappings.push({ path: targetPath(column), column })
    }
  }
  const targets = [...mappings, ...constants]
  if (!mediaType && !targets.some((m) => m.path[0] === 'mediaType')) {
    throw new UsageError('CSV has no mediaType column: map one, or give --media-type')
  }
  return (row: Record<string, string>): Record<string, unknown> => {
    const entry: Record<string, unknown> = { metadata: {} }
    if (mediaType) entry.mediaType = mediaType
    const cells = [
      ...constants.map(({ path, value }) => ({ path, cell: value })),
      ...mappings.map(({ path, column }) => ({ path, cell: row[column] })),
    ]
    for (const { path, cell } of cells) {
      if (cell === undefined || cell === '') continue
      const [head, field] = path as [string, string | undefined]
      if (field === undefined) {
        entry[head] = cell
        continue
      }
      const target = (entry[head] ??= {}) as Record<string, unknown>
      const numeric = head === 'asset' && NUMERIC_ASSET_FIELDS.has(field) && /^-?\d+(\.\d+)?$/.test(cell)
      target[field] = numeric ? Number(cell) : cell
    }
    return entry
  }
}
