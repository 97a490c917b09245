import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { parse } from 'csv-parse'
import { UsageError } from '../../errors.js'
import { createCsvMapper } from './csv-mapping.js'
import { itemFromEntry, itemFromText, type InputItem } from './input-item.js'
import { scanJsonArray } from './json-array-scanner.js'

export type InputFormat = 'ndjson' | 'json' | 'csv'
export const INPUT_FORMATS: readonly InputFormat[] = ['ndjson', 'json', 'csv']

export interface ReadOptions {
  /** Given, or detected from the file name and the first bytes. */
  format?: InputFormat
  /** CSV: `target=Column` pairs. */
  map?: string[]
  /** CSV: the media type of rows without a mediaType column. */
  mediaType?: string
  /** CSV: `target=value` constants for every row. */
  set?: string[]
}

/** NDJSON: one entry per line; blank lines are skipped, but counted for line numbers. */
async function* readNdjson(chunks: AsyncIterable<Buffer>): AsyncGenerator<InputItem> {
  const lines = createInterface({ input: Readable.from(chunks), crlfDelay: Infinity })
  let line = 0
  let index = 0
  for await (let text of lines) {
    line++
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    if (text.trim() === '') continue
    yield itemFromText(index++, line, text)
  }
}

async function* readCsv(chunks: AsyncIterable<Buffer>, options: ReadOptions): AsyncGenerator<InputItem> {
  let mapper: ReturnType<typeof createCsvMapper> | undefined
  const parser = Readable.from(chunks).pipe(
    parse({
      bom: true,
      info: true,
      skip_empty_lines: true,
      columns: (header: string[]) => {
        mapper = createCsvMapper(header, options.map ?? [], options.mediaType, options.set ?? [])
        return header
      },
    }),
  )
  let index = 0
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>
    info: { lines: number }
  }>) {
    if (!mapper) throw new Error('CSV header was not read')
    yield itemFromEntry(index++, info.lines, mapper(record))
  }
}

/** Reads up to `bytes` from the start of a stream, and gives back an iterable over the whole stream. */
async function peek(source: AsyncIterable<Buffer>, bytes: number) {
  const iterator = source[Symbol.asyncIterator]()
  const head: Buffer[] = []
  let size = 0
  let done = false
  while (size < bytes) {
    const next = await iterator.next()
    if (next.done) {
      done = true
      break
    }
    head.push(next.value)
    size += next.value.length
  }
  async function* whole(): AsyncGenerator<Buffer> {
    yield* head
    if (done) return
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value
  }
  return { head: Buffer.concat(head), chunks: whole() }
}

/**
 * `[` starts a JSON array. `{` starts NDJSON when the first line is a whole object that is not the
 * `{mediaLibraryEntries: [...]}` wrapper; otherwise the wrapper.
 */
export function detectFormat(head: Buffer, file?: string): InputFormat {
  if (file && /\.csv$/i.test(file)) return 'csv'
  if (file && /\.(ndjson|jsonl)$/i.test(file)) return 'ndjson'
  const text = head.toString('utf8').replace(/^\uFEFF/, '')
  const first = text.trimStart()[0]
  if (first === '[') return 'json'
  if (first !== '{') {
    throw new UsageError('Cannot tell the input format: give --format ndjson, json or csv')
  }
  const newline = text.indexOf('\n')
  if (newline === -1) return 'json'
  try {
    const value = JSON.parse(text.slice(0, newline)) as Record<string, unknown>
    return 'mediaLibraryEntries' in value ? 'json' : 'ndjson'
  } catch {
    return 'json'
  }
}

/** Opens the input (a file, or `-` for stdin) as a stream of entries. */
export async function openInput(
  file: string,
  options: ReadOptions,
): Promise<{ format: InputFormat; items: AsyncGenerator<InputItem> }> {
  const stream: Readable =
    file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 256 * 1024 })
  if (file !== '-') {
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve())
      stream.once('error', (err) => reject(new UsageError(`Cannot read ${file}: ${err.message}`)))
    })
  }
  const { head, chunks } = await peek(stream as AsyncIterable<Buffer>, 1024 * 1024)
  const format = options.format ?? detectFormat(head, file === '-' ? undefined : file)
  if (format === 'ndjson') return { format, items: readNdjson(chunks) }
  if (format === 'csv') return { format, items: readCsv(chunks, options) }
  return { format, items: scanJsonArray(chunks) }
}

/** Counts the lines of an NDJSON file (for a progress bar's total); undefined for other inputs. */
export async function countEntries(file: string, format: InputFormat): Promise<number | undefined> {
  if (file === '-' || format !== 'ndjson') return undefined
  let count = 0
  let last = 10
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count++
    last = chunk[chunk.length - 1] ?? last
  }
  return last === 10 ? count : count + 1
}
