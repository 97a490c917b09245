import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { parse } from 'csv-parse'
import type { PathMetadata } from '../../sources/source.service.js'
import { UsageError } from '../../errors.js'
import { keyProblem } from '../../storage/key.js'
import { parseMappings } from './csv-mapping.js'

export type MetadataFileFormat = 'csv' | 'ndjson'

/**
 * The columns of a metadata file (`sources scan --metadata FILE --map …`), in the import's `--map
 * target=Column` syntax: `path=Column` names the key (default: the column `path`); the other targets are
 * metadata properties (`title=Headline`, `metadata.caption=Text`). Without a property mapping every column
 * but the key is the property of its name (a `metadata.` prefix dropped); with one, only the mapped columns
 * and those named `metadata.<property>`.
 */
function columnsOf(map: readonly string[]) {
  const key = map.filter((m) => m.startsWith('path=')).map((m) => m.slice('path='.length))
  if (key.length > 1 || key[0] === '') throw new UsageError('--map path=Column: name one key column')
  const properties = parseMappings(map.filter((m) => !m.startsWith('path='))).map(({ path, column }) => {
    if (path[0] !== 'metadata') {
      throw new UsageError(
        `--map ${path.join('.')}=${column}: a metadata file maps path and metadata properties only`,
      )
    }
    return { property: path[1]!, column }
  })
  return { key: key[0] ?? 'path', properties }
}

/** One record of the file as the mapping reads it; undefined values and empty strings are left out. */
function rowOf(
  record: Record<string, unknown>,
  columns: ReturnType<typeof columnsOf>,
  line: number,
): PathMetadata {
  const where = `metadata file, line ${line}`
  const relative = record[columns.key]
  if (typeof relative !== 'string' || relative === '') {
    throw new UsageError(`${where}: no path (column '${columns.key}')`)
  }
  const problem = keyProblem(relative)
  if (problem !== undefined)
    throw new UsageError(`${where}: invalid path ${JSON.stringify(relative)}: ${problem}`)
  const metadata: Record<string, unknown> = {}
  const put = (property: string, value: unknown) => {
    if (value !== undefined && value !== '') metadata[property] = value
  }
  if (columns.properties.length === 0) {
    for (const [name, value] of Object.entries(record)) {
      if (name === columns.key) continue
      if (name === 'metadata' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const [p, v] of Object.entries(value as Record<string, unknown>)) put(p, v)
      } else {
        put(name.replace(/^metadata\./, ''), value)
      }
    }
  } else {
    for (const [name, value] of Object.entries(record)) {
      if (/^metadata\.[^.]+$/.test(name)) put(name.slice('metadata.'.length), value)
    }
    for (const { property, column } of columns.properties) put(property, record[column])
  }
  return { path: relative, metadata }
}

/** Reads a metadata file keyed by path (CSV with a header, or NDJSON): one row per path, or a clear error. */
export async function readSourceMetadataFile(
  file: string,
  options: { format?: MetadataFileFormat; map?: readonly string[] },
): Promise<PathMetadata[]> {
  const format =
    options.format ?? (/\.csv$/i.test(file) ? 'csv' : /\.(nd)?jsonl?$/i.test(file) ? 'ndjson' : undefined)
  if (!format) throw new UsageError(`Cannot tell the format of ${file}: give --format csv or ndjson`)
  const columns = columnsOf(options.map ?? [])
  const stream = createReadStream(file)
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve())
    stream.once('error', (err) => reject(new UsageError(`Cannot read ${file}: ${err.message}`)))
  })
  const rows: PathMetadata[] = []
  const seen = new Map<string, number>()
  const add = (record: Record<string, unknown>, line: number) => {
    const row = rowOf(record, columns, line)
    const before = seen.get(row.path)
    if (before !== undefined) {
      throw new UsageError(`metadata file, line ${line}: the path ${row.path} was on line ${before} already`)
    }
    seen.set(row.path, line)
    rows.push(row)
  }
  if (format === 'csv') {
    const parser = stream.pipe(parse({ bom: true, info: true, skip_empty_lines: true, columns: true }))
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>
      info: { lines: number }
    }>) {
      add(record, info.lines)
    }
    return rows
  }
  let line = 0
  for await (let text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++
    if (line === 1) text = text.replace(/^\uFEFF/, '')
    if (text.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      throw new UsageError(`metadata file, line ${line}: ${(err as Error).message}`)
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new UsageError(`metadata file, line ${line}: expected an object`)
    }
    add(value as Record<string, unknown>, line)
  }
  return rows
}
