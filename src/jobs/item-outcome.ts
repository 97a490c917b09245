// What an item's outcome says (split from item-processor.ts): its failure reasons, the result a job's status
// shows for an imported item, and the filename an entry takes from the download.
import type { MediaEntry } from '../media/entry.js'
import type { ImportItem, ImportJob } from './import-job.js'

/** A reason fit for the status endpoint, and whether trying again may help. */
export class ItemFailure extends Error {
  constructor(
    message: string,
    readonly transient = false,
  ) {
    super(message)
  }
}

export function fileNameOf(finalUrl: string, item: ImportItem, extension: string): string {
  const last = decodeURIComponent(new URL(finalUrl).pathname.split('/').pop() ?? '')
  // eslint-disable-next-line no-control-regex -- control characters make a bad filename
  if (/^[^/\\\u0000-\u001f]{1,255}$/.test(last) && last.includes('.')) return last
  return `${(item.fileName ?? item.externalId).slice(0, 200)}.${extension}`
}

export function presentResult(
  kind: ImportJob['kind'],
  entry: MediaEntry,
  originalUrl: string,
): Record<string, unknown> {
  const a = entry.asset
  if (kind === 'images') {
    return {
      image: {
        mediaId: entry.id,
        originalUrl,
        url: a.url,
        width: a.width,
        height: a.height,
        mimeType: a.mimeType,
        imageService: 'medialib',
      },
    }
  }
  if (kind === 'videos') return { video: { mediaId: entry.id, originalUrl, mimeType: a.mimeType } }
  return { mediaId: entry.id }
}

export function describeFailure(result: unknown): string {
  const f = (
    result as {
      failure?: {
        kind: string
        message?: string
        errors?: { path?: string; metadataProperty?: string; message: string }[]
        field?: string
        value?: string
      }
    }
  ).failure
  if (!f) return 'not imported'
  if (f.kind === 'unique') return `${f.field} is not unique: '${f.value}'`
  const details = (f.errors ?? []).map((e) => `${e.metadataProperty ?? e.path ?? ''} ${e.message}`.trim())
  return [
    f.kind === 'metadata' ? 'Metadata validation failed' : (f.message ?? 'invalid entry'),
    ...details,
  ].join('; ')
}

/** Errors the library service throws for bad input (4xx): retrying cannot help. */
export function isClientError(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status
  return typeof status === 'number' && status >= 400 && status < 500
}
