import { closeSync, openSync, writeSync } from 'node:fs'
import type { ApiClient } from '../../client/api-client.js'
import { API_VERSIONS, failureBody } from '../../http/api-versions.js'
import { createAjv } from '../../media/ajv.js'
import { createEntryValidator } from '../../media/entry-validator.js'
import type { MediaTypeConfig } from '../../media/media-types/media-type.js'
import { normalizeMediaTypes, readMediaTypesFile } from '../../media/media-types/media-types-config.js'
import { compileMediaType } from '../../media/media-types/metadata-validator.js'
import { UsageError } from '../../errors.js'
import { emptyCounts, type ImportCounts } from './checkpoint.js'
import { entryOf, type InputItem } from './input-item.js'
import type { ReportLine } from './import-runner.js'

/** The media types to check against: from `--media-types FILE`, else from the server. */
export async function loadMediaTypes(
  file: string | undefined,
  client: ApiClient | undefined,
): Promise<MediaTypeConfig[]> {
  if (file) return readMediaTypesFile(file)
  if (!client)
    throw new UsageError('--dry-run needs --media-types FILE, or --server and --token to fetch them')
  return normalizeMediaTypes(await client.mediaTypes())
}

/**
 * Checks every entry locally with the server's own validator (shape, asset, metadata of its media type)
 * and reports each problem as the server would word it. Uniqueness needs the database: not checked.
 */
export async function runDryRun(options: {
  items: AsyncIterable<InputItem>
  mediaTypes: MediaTypeConfig[]
  apiVersion: string
  reportFile?: string
  onProblem: (line: ReportLine) => void
  onProgress?: (counts: ImportCounts) => void
}): Promise<ImportCounts> {
  const version = API_VERSIONS.get(options.apiVersion)
  if (!version) throw new UsageError(`Unknown API version '${options.apiVersion}'`)
  const ajv = createAjv()
  const validator = createEntryValidator(ajv)
  const compiled = new Map(options.mediaTypes.map((t) => [t.handle, compileMediaType(ajv, t)]))
  const counts = emptyCounts()
  const fd = options.reportFile ? openSync(options.reportFile, 'w') : undefined
  try {
    for await (const item of options.items) {
      let line: ReportLine
      const where = { line: item.line, correlation: `line: ${item.line}` }
      if (item.parseError !== undefined) {
        line = { ...where, result: 'failed', error: 'InvalidJson', details: { message: item.parseError } }
      } else {
        const check = validator.check(entryOf(item), compiled)
        if (check.ok) {
          line = { ...where, result: 'ok' }
        } else {
          const body = failureBody(check.failure, version)
          line = {
            ...where,
            result: 'failed',
            status: body.status,
            error: body.error,
            details: body.error_details,
          }
        }
      }
      if (line.result === 'ok') counts.ok++
      else {
        counts.failed++
        const name = line.error ?? 'Unknown'
        counts.failedBy[name] = (counts.failedBy[name] ?? 0) + 1
        options.onProblem(line)
      }
      if (fd !== undefined) writeSync(fd, `${JSON.stringify(line)}\n`)
      if ((counts.ok + counts.failed) % 1000 === 0) options.onProgress?.(counts)
    }
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  options.onProgress?.(counts)
  return counts
}
