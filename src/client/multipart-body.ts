// The CLI's multipart uploads (split from upload-client.ts): files packed into requests within the server's
// limits, and one request's body, streamed from disk.
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import type { OutgoingFile, UploadFields } from './upload-client.js'

const safeName = (name: string) => name.replace(/["\r\n\\]/g, '_')

/**
 * What one multipart request of the CLI holds at most: the server's default `upload.maxFilesPerRequest`
 * files and the route's 50 form fields, and a bounded body so that a retry resends little.
 */
export const MULTIPART_LIMITS = { files: 20, fields: 50, bytes: 8 * 1024 * 1024 }

/** Sticky fields (`mediaType`, `systemName`, `metadata`) hold for every following file of a request. */
interface Sticky {
  mediaType?: string
  systemName?: string
  metadata: string
}

/**
 * The form fields that give `file` its own values after the files before it: a sticky field is sent when it
 * changes (metadata `{}` is the same as none), `id` and `externalId` always. Undefined when the file cannot
 * follow them in one request: it lacks a `mediaType` or `systemName` that an earlier file set (a form field
 * cannot be unset).
 */
function fieldsAfter(sticky: Sticky, fields: UploadFields): [string, string][] | undefined {
  const out: [string, string][] = []
  for (const name of ['mediaType', 'systemName'] as const) {
    const value = fields[name]
    if (value === sticky[name]) continue
    if (value === undefined) return undefined
    out.push([name, value])
    sticky[name] = value
  }
  const metadata = JSON.stringify(fields.metadata ?? {})
  if (metadata !== sticky.metadata) {
    out.push(['metadata', metadata])
    sticky.metadata = metadata
  }
  for (const name of ['id', 'externalId'] as const) {
    const value = fields[name]
    if (value !== undefined) out.push([name, value])
  }
  return out
}

/** Packs files into multipart requests within MULTIPART_LIMITS, keeping their order. */
export function packMultipart(files: readonly OutgoingFile[]): OutgoingFile[][] {
  const requests: OutgoingFile[][] = []
  let current: OutgoingFile[] = []
  let sticky: Sticky = { metadata: '{}' }
  let fieldCount = 0
  let bytes = 0
  for (const file of files) {
    const probe = { ...sticky }
    const fields = fieldsAfter(probe, file.fields)
    const fits =
      fields !== undefined &&
      current.length < MULTIPART_LIMITS.files &&
      fieldCount + fields.length <= MULTIPART_LIMITS.fields &&
      bytes + file.size <= MULTIPART_LIMITS.bytes
    if (current.length > 0 && !fits) {
      requests.push(current)
      current = []
      sticky = { metadata: '{}' }
      fieldCount = 0
      bytes = 0
    }
    fieldCount += fieldsAfter(sticky, file.fields)!.length
    bytes += file.size
    current.push(file)
  }
  if (current.length > 0) requests.push(current)
  return requests
}

/** The multipart body of `files`: text parts and the files' bytes, streamed from disk in order. */
export function multipartBody(files: readonly OutgoingFile[], boundary: string) {
  const sticky: Sticky = { metadata: '{}' }
  const heads = files.map((f) => {
    const fields = fieldsAfter(sticky, f.fields)
    if (!fields) throw new Error('these files cannot share one multipart request (see packMultipart)')
    const text =
      fields
        .map(
          ([name, value]) =>
            `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
        )
        .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeName(f.fields.filename)}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n'
    return Buffer.from(text, 'utf8')
  })
  const crlf = Buffer.from('\r\n')
  const tail = Buffer.from(`--${boundary}--\r\n`, 'utf8')
  let length = tail.length
  files.forEach((f, i) => (length += heads[i]!.length + f.size + crlf.length))
  async function* parts() {
    for (const [i, f] of files.entries()) {
      yield heads[i]!
      if (f.bytes) yield f.bytes
      // Reads of at most the file's size: a fixed 64 KiB buffer per read would be garbage for small files.
      else if (f.size > 0) yield* createReadStream(f.file, { end: f.size - 1, highWaterMark: 1024 * 1024 })
      yield crlf
    }
    yield tail
  }
  return { length, open: () => Readable.from(parts(), { objectMode: false }) }
}
