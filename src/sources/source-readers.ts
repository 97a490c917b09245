import type { Config } from '../config.js'
import type { SourceRecord, SourceRepository } from '../db/source.repository.js'
import { createDiskSourceReader, type SourceReader } from './source-reader.js'

/**
 * The readers of a server's sources (issue #22), one per distinct source, made on first use: what scans
 * read and what serves `@source/<handle>/…` keys in place (src/sources/source-storage.ts).
 */
export interface SourceReaders {
  open(record: Pick<SourceRecord, 'kind' | 'root' | 'options'>): Promise<SourceReader>
  /** The reader of a project's source, or undefined when the project has no source of that handle. */
  readerOf(project: string, handle: string): Promise<SourceReader | undefined>
}

export function createSourceReaders(deps: {
  sources: Pick<SourceRepository, 'get'>
  s3: Config['storage']['s3']
}): SourceReaders {
  const readers = new Map<string, SourceReader>()
  const open = async (record: Pick<SourceRecord, 'kind' | 'root' | 'options'>): Promise<SourceReader> => {
    const id = JSON.stringify([record.kind, record.root, record.options])
    let reader = readers.get(id)
    if (!reader) {
      if (record.kind === 'disk') {
        reader = createDiskSourceReader(record.root)
      } else {
        // The AWS SDK loads only when an S3 source is used.
        const { createS3SourceReader } = await import('./s3-source-reader.js')
        const o = record.options as {
          prefix?: string
          endpoint?: string
          region?: string
          forcePathStyle?: boolean
        }
        reader = createS3SourceReader({
          ...deps.s3,
          bucket: record.root,
          prefix: o.prefix ?? '',
          region: o.region ?? deps.s3.region,
          forcePathStyle: o.forcePathStyle ?? deps.s3.forcePathStyle,
          ...((o.endpoint ?? deps.s3.endpoint) ? { endpoint: o.endpoint ?? deps.s3.endpoint } : {}),
        })
      }
      readers.set(id, reader)
    }
    return reader
  }

  return {
    open,
    async readerOf(project, handle) {
      const source = await deps.sources.get(project, handle)
      return source ? open(source) : undefined
    },
  }
}
