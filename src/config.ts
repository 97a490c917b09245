import { Type, type Static } from 'typebox'

/** Everything the process can be configured with. Defaults < config file < environment < CLI flags. */
export const ConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    /** Directory of the embedded SQLite database (and, later, local blobs). Created at start. */
    dataDir: Type.String({ minLength: 1 }),
    /** `postgres://…` for PostgreSQL, `sqlite:PATH` or empty for SQLite in the data directory. */
    databaseUrl: Type.Optional(Type.String()),
    /** Connection pool size for PostgreSQL. */
    dbPoolSize: Type.Integer({ minimum: 1, maximum: 1000 }),
    logLevel: Type.Union([
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ]),
    limits: Type.Object(
      {
        /** Largest accepted request body in bytes; larger bodies get 413 before they are buffered. */
        bodyBytes: Type.Integer({ minimum: 1024 }),
        /** Most entries accepted in one `POST /import/mediaLibrary`. */
        entriesPerRequest: Type.Integer({ minimum: 1 }),
        /** Most ids or externalIds accepted in one `GET /mediaLibrary` lookup. */
        idsPerRequest: Type.Integer({ minimum: 1 }),
        /** Most entries accepted in one batch `PATCH /mediaLibrary`. */
        patchEntriesPerRequest: Type.Integer({ minimum: 1 }),
        /** Most ids accepted in one batch delete (`POST /mediaLibrary/delete`). */
        deleteEntriesPerRequest: Type.Integer({ minimum: 1 }),
        /** A search's `count=true` is exact up to this many matches, an estimate beyond. */
        countExactUpTo: Type.Integer({ minimum: 1 }),
        /** Time a client has to send a whole request (headers and body); slower clients are cut off. */
        requestTimeoutMs: Type.Integer({ minimum: 100 }),
        /** Requests per minute per token (per IP without a token); 0 turns rate limiting off. */
        rateLimitPerMinute: Type.Integer({ minimum: 0 }),
        /**
         * Import request bodies (by Content-Length; bodyBytes when it is absent) the server takes in at once,
         * server-wide. A body that does not fit waits up to importWaitMs, then gets 503 with Retry-After
         * before a byte of it is read. One body is always let in when none is in flight.
         */
        importBytesInFlight: Type.Integer({ minimum: 1024 }),
        importWaitMs: Type.Integer({ minimum: 0 }),
        /**
         * Import bodies of at least this many bytes (by Content-Length) are parsed, validated, written and
         * answered in a worker thread with its own database connection, so the event loop stays free.
         */
        importWorkerBytes: Type.Integer({ minimum: 0 }),
        /** Time limit of one thumbnail's decoding and encoding (sharp's timeout, whole seconds); past it, 422. */
        imageTimeoutSeconds: Type.Integer({ minimum: 1 }),
      },
      { additionalProperties: false },
    ),
    /**
     * The base URL clients reach this server at, used for `asset.url` of URL-imported entries
     * (`<publicBaseUrl>/api/v1/mediaLibrary/serve-image/<key>`). Empty: `http://<host>:<port>`.
     */
    publicBaseUrl: Type.String(),
    /**
     * Optional origin (`https://assets.example.com`) for `asset.url` of URL-imported entries instead of
     * publicBaseUrl: a host name of its own that reaches this same server, so stored files never share an
     * origin (cookies, storage, scripts) with the UI and the API. Empty: publicBaseUrl.
     */
    publicAssetOrigin: Type.String(),
    /** Days a deleted entry stays in the trash (restorable) before the worker purges it with its files. */
    trashDays: Type.Integer({ minimum: 0, maximum: 36_500 }),
    /** Days entry events stay in the feed and the outbox (and delivery records are kept) before the worker prunes them. */
    eventRetentionDays: Type.Integer({ minimum: 1, maximum: 36_500 }),
    /** Minutes between two runs of the media types' deletion routines by a worker. */
    routineIntervalMinutes: Type.Integer({ minimum: 1 }),
    /** Where asset bytes are stored (see docs/storage.md). */
    storage: Type.Object(
      {
        driver: Type.Union([Type.Literal('disk'), Type.Literal('s3')]),
        s3: Type.Object(
          {
            bucket: Type.String(),
            prefix: Type.String(),
            /**
             * Where each project's namespace sits under `prefix`: `{project}` is replaced by the project
             * handle; its keys go under `<that>files/`, its thumbnails under `<that>derived/`.
             */
            projectPrefix: Type.String({ pattern: '\\{project\\}.*/$' }),
            /**
             * Projects with a bucket of their own (project handle → bucket, same endpoint and credentials):
             * their keys go to `<prefix>files/<key>` in that bucket, their derived files to `<prefix>derived/`.
             */
            projectBuckets: Type.Record(Type.String(), Type.String({ minLength: 1 })),
            endpoint: Type.String(),
            region: Type.String({ minLength: 1 }),
            forcePathStyle: Type.Boolean(),
            accessKeyId: Type.String(),
            secretAccessKey: Type.String(),
            partSizeBytes: Type.Integer({ minimum: 5 * 1024 * 1024 }),
            requestChecksumCalculation: Type.Union([
              Type.Literal('WHEN_SUPPORTED'),
              Type.Literal('WHEN_REQUIRED'),
            ]),
            responseChecksumValidation: Type.Union([
              Type.Literal('WHEN_SUPPORTED'),
              Type.Literal('WHEN_REQUIRED'),
            ]),
            /** Connecting to S3 fails after this long. */
            connectTimeoutMs: Type.Integer({ minimum: 1 }),
            /** An S3 request whose connection is idle this long (a stalled server) fails as a timeout. */
            socketTimeoutMs: Type.Integer({ minimum: 1 }),
            /** Attempts per S3 request (5xx, throttling and timeouts are retried), including the first. */
            maxAttempts: Type.Integer({ minimum: 1, maximum: 10 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    /** Fetching URLs for the URL imports (see docs/url-import.md). */
    fetch: Type.Object(
      {
        /** CIDRs that may be fetched although private, loopback or link-local. Empty by default. */
        allowCidrs: Type.Array(Type.String()),
        maxRedirects: Type.Integer({ minimum: 0, maximum: 20 }),
        connectTimeoutMs: Type.Integer({ minimum: 10 }),
        totalTimeoutMs: Type.Integer({ minimum: 10 }),
        maxConcurrentDownloads: Type.Integer({ minimum: 1 }),
        maxBytes: Type.Object(
          {
            image: Type.Integer({ minimum: 1 }),
            video: Type.Integer({ minimum: 1 }),
            file: Type.Integer({ minimum: 1 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    /** The URL-import job queue and its workers. */
    jobs: Type.Object(
      {
        /** Items one worker processes at the same time. */
        workerConcurrency: Type.Integer({ minimum: 1, maximum: 256 }),
        /** `serve` runs a worker in its own process. */
        inProcessWorker: Type.Boolean(),
        /** A claimed item not finished within this time is claimed again by any worker. */
        leaseMs: Type.Integer({ minimum: 100 }),
        /** Attempts after the first for transient failures (timeouts, 5xx, resets). */
        maxRetries: Type.Integer({ minimum: 0 }),
        /** First retry delay; doubles per attempt. */
        retryBaseMs: Type.Integer({ minimum: 1 }),
        /** How often an idle worker looks for work. */
        pollMs: Type.Integer({ minimum: 10 }),
        /**
         * Items of one project in flight at once, over all workers (0: no cap). Below the total worker
         * concurrency, one project can never take every slot.
         */
        maxInFlightPerProject: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
    /** Image variants: serve-image with imgix parameters and `GET …/{id}/image` (docs/images.md). */
    variants: Type.Object(
      {
        /** Total bytes of cached variants over all projects; least recently used ones go beyond it. */
        cacheBytes: Type.Integer({ minimum: 0 }),
        /** `Cache-Control: max-age` of variant answers, in seconds. */
        maxAgeSeconds: Type.Integer({ minimum: 0 }),
        /** Largest width or height of a variant in pixels (after `dpr`); beyond it, 400. */
        maxDimension: Type.Integer({ minimum: 16, maximum: 16_384 }),
        /** Largest source in pixels that is decoded (sharp's limitInputPixels); beyond it, 422. */
        maxInputPixels: Type.Integer({ minimum: 1 }),
        /** Widths and heights (after `dpr`) a variant may have without a signature. */
        allowedSizes: Type.Array(Type.Integer({ minimum: 1 })),
        /** Formats (`fm`) a variant may have without a signature. */
        allowedFormats: Type.Array(
          Type.Union([
            Type.Literal('jpg'),
            Type.Literal('png'),
            Type.Literal('webp'),
            Type.Literal('avif'),
            Type.Literal('gif'),
          ]),
        ),
        /** Variants made at once (each is one sharp pipeline; one project gets at most half, rounded up). */
        concurrency: Type.Integer({ minimum: 1, maximum: 64 }),
        /**
         * Previews of entries whose original is not in storage: fetch `asset.url` once (SSRF-guarded, under
         * `fetch.maxBytes.image`) and keep it in the derived namespace.
         */
        externalPreviews: Type.Boolean(),
        /** How long a failed fetch of an external original is remembered (no new fetch meanwhile). */
        externalFailureSeconds: Type.Integer({ minimum: 0 }),
        /**
         * ffmpeg, for poster frames of video entries (their thumbnails); detected at start. Empty, or a path
         * where no ffmpeg answers, leaves videos with their typed placeholder.
         */
        ffmpegPath: Type.String({ maxLength: 1024 }),
      },
      { additionalProperties: false },
    ),
    /** Uploads: multipart and tus (docs/upload.md). */
    upload: Type.Object(
      {
        /** The largest file any upload may bring, above every media type's `uploadRestrictions.maxFileSize`. */
        maxFileBytes: Type.Integer({ minimum: 1024 }),
        /** Most `file` parts in one multipart request. */
        maxFilesPerRequest: Type.Integer({ minimum: 1, maximum: 1000 }),
        /** Most hashes in one `POST /mediaLibrary/knownHashes`. */
        hashesPerRequest: Type.Integer({ minimum: 1, maximum: 10_000 }),
        /** A resumable upload that is not finished this long after its creation expires (the worker removes it). */
        tusExpiryMinutes: Type.Integer({ minimum: 1 }),
        /** Declared bytes of a project's unfinished resumable uploads, at most. */
        tusBytesInFlightPerProject: Type.Integer({ minimum: 1024 }),
      },
      { additionalProperties: false },
    ),
    /** `GET /metrics` in Prometheus format (docs/operations.md). Off by default. */
    metrics: Type.Object(
      {
        enabled: Type.Boolean(),
        /** When set, a scrape must send `Authorization: Bearer <token>`. */
        token: Type.String(),
      },
      { additionalProperties: false },
    ),
    /** The browser UI. */
    ui: Type.Object(
      {
        /**
         * Trust `X-Forwarded-Proto: https` from a TLS-terminating proxy: the session cookie is then `Secure`.
         * Requests that arrive over TLS directly always get a `Secure` cookie.
         */
        trustForwardedProto: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)

export type Config = Static<typeof ConfigSchema>

/** The SQLite file used when no database URL is configured (in the data directory). */
export const SQLITE_FILE_NAME = 'medialib.sqlite'

// The defaults are in config-defaults.ts; re-exported here for the many tests, benchmarks and
// scripts/openapi.mjs that take them from config.js.
export { DEFAULT_CONFIG } from './config-defaults.js'
