import { Type } from 'typebox'
import { ApiVersion, component } from './common.js'

const Handle = Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z][a-z0-9-]*$' })

export const SourceParams = Type.Object({ apiVersion: ApiVersion, handle: Handle })
export const ScanParams = Type.Object({
  apiVersion: ApiVersion,
  handle: Handle,
  scanId: Type.String({ minLength: 1, maxLength: 64 }),
})

const Count = Type.Integer({ minimum: 0 })

export const SourceScan = component(
  'SourceScan',
  Type.Object(
    {
      id: Type.String(),
      source: Type.String({ description: 'The source handle' }),
      state: Type.Unsafe<string>({ type: 'string', enum: ['running', 'done', 'failed'] }),
      dryRun: Type.Boolean({ description: 'Only classified: nothing was read or written' }),
      retryFailed: Type.Boolean({ description: 'Objects that failed before were read again' }),
      createdAt: Type.String(),
      finishedAt: Type.Union([Type.String(), Type.Null()]),
      error: Type.Union([Type.String(), Type.Null()], { description: 'Why a failed scan failed' }),
      counts: Type.Object(
        { created: Count, updated: Count, unchanged: Count, missing: Count, failed: Count },
        { additionalProperties: false, description: 'Objects by what the scan did to them, so far' },
      ),
      pending: Type.Object(
        { queued: Count, running: Count },
        { additionalProperties: false, description: 'Tasks (list pages, batches) not done yet' },
      ),
      failures: Type.Array(
        Type.Object({ path: Type.String(), reason: Type.String() }, { additionalProperties: false }),
        { description: 'The failed objects and why (the first 100 by path)' },
      ),
      notes: Type.Array(
        Type.Object({ path: Type.String(), note: Type.String() }, { additionalProperties: false }),
        {
          description:
            'Objects created without the metadata properties that failed validation (`invalidMetadata: keep`), ' +
            'and which (the first 100 by path)',
        },
      ),
      invalidMetadata: Type.Unsafe<'keep' | 'refuse'>({
        type: 'string',
        enum: ['keep', 'refuse'],
        description: 'What metadata failing validation does: `refuse` fails the object, `keep` leaves it out',
      }),
      metadataRows: Type.Integer({ minimum: 0, description: 'Rows of the metadata file given to the scan' }),
    },
    {
      additionalProperties: false,
      description: 'A scan of a source (issue #22): a durable job run by the workers',
      examples: [
        {
          id: '6f1c0c1e-8b0a-4c1e-9d43-0c1b8c9e2f10',
          source: 'photos',
          state: 'done',
          dryRun: false,
          retryFailed: false,
          createdAt: '2026-01-31T12:00:00.000Z',
          finishedAt: '2026-01-31T12:00:04.000Z',
          error: null,
          counts: { created: 3, updated: 1, unchanged: 120, missing: 1, failed: 1 },
          pending: { queued: 0, running: 0 },
          failures: [{ path: 'notes.txt', reason: 'not an image or a video (unknown type)' }],
          notes: [],
          invalidMetadata: 'refuse',
          metadataRows: 0,
        },
      ],
    },
  ),
)

export const SourceList = component(
  'SourceList',
  Type.Object(
    {
      sources: Type.Array(
        Type.Object(
          {
            handle: Type.String(),
            kind: Type.Unsafe<string>({ type: 'string', enum: ['disk', 's3'] }),
            prefix: Type.String({ description: 'The S3 prefix ("" on disk)' }),
            copy: Type.Boolean({ description: 'Scanned files are copied into the project’s storage' }),
            mediaTypesByExtension: Type.Record(Type.String(), Type.String(), {
              description: 'Media types by file extension, chosen before the sniffed type’s default',
            }),
            rescanEveryMs: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
              description: 'The schedule’s interval in ms; null: no schedule',
            }),
            nextScanAt: Type.Union([Type.String(), Type.Null()], {
              description: 'When the next scheduled scan is due',
            }),
            createdAt: Type.String(),
            lastScan: Type.Union([SourceScan, Type.Null()]),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false, description: 'The project’s read-only sources and their latest scans' },
  ),
)

export const SourceScanList = component(
  'SourceScanList',
  Type.Object(
    { scans: Type.Array(SourceScan, { description: 'Newest first, at most 20' }) },
    { additionalProperties: false },
  ),
)

export const StartScanBody = component(
  'StartSourceScan',
  Type.Object(
    {
      dryRun: Type.Optional(Type.Boolean({ description: 'Only classify: nothing is read or written' })),
      retryFailed: Type.Optional(
        Type.Boolean({ description: 'Read again the objects that failed before, even unchanged' }),
      ),
      pageSize: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 10_000, description: 'Objects listed per list task (1,000)' }),
      ),
      batchSize: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 10_000, description: 'Objects per batch task (100)' }),
      ),
      invalidMetadata: Type.Optional(
        Type.Unsafe<'keep' | 'refuse'>({
          type: 'string',
          enum: ['keep', 'refuse'],
          description: 'Metadata failing validation: fail the object (`refuse`, default) or leave it out',
        }),
      ),
    },
    { additionalProperties: false, description: 'How to scan (every field optional)' },
  ),
)
