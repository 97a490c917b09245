import type { SourceReader } from '../../src/sources/source-reader.js'

/**
 * A source reader wrapper (a scan's `wrap`) that records, by path, every read that found an object: through
 * `get`, or whole through `readSmall` (a small file); a file too large for `readSmall` is counted by its `get`.
 */
export function countingReads(reads: string[]): (reader: SourceReader) => SourceReader {
  return (reader) => ({
    ...reader,
    list: (options) => reader.list(options),
    get: async (relative, range) => {
      const body = await reader.get(relative, range)
      if (body) reads.push(relative)
      return body
    },
    ...(reader.readSmall
      ? {
          readSmall: async (relative: string, max: number) => {
            const bytes = await reader.readSmall!(relative, max)
            if (bytes) reads.push(relative)
            return bytes
          },
        }
      : {}),
  })
}
