import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Type, type Static } from 'typebox'
import { Compile } from 'typebox/compile'
import YAML from 'yaml'
import { UsageError } from './errors.js'

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
        /** Time a client has to send a whole request (headers and body); slower clients are cut off. */
        requestTimeoutMs: Type.Integer({ minimum: 100 }),
        /** Requests per minute per token (per IP without a token); 0 turns rate limiting off. */
        rateLimitPerMinute: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
    /**
     * The base URL clients reach this server at, used for `asset.url` of URL-imported entries
     * (`<publicBaseUrl>/api/v1/mediaLibrary/serve-image/<key>`). Empty: `http://<host>:<port>`.
     */
    publicBaseUrl: Type.String(),
    /** Where asset bytes are stored (see docs/storage.md). */
    storage: Type.Object(
      {
        driver: Type.Union([Type.Literal('disk'), Type.Literal('s3')]),
        s3: Type.Object(
          {
            bucket: Type.String(),
            prefix: Type.String(),
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

export const DEFAULT_CONFIG: Config = {
  host: '127.0.0.1',
  port: 3000,
  dataDir: './data',
  dbPoolSize: 10,
  logLevel: 'info',
  limits: {
    bodyBytes: 64 * 1024 * 1024,
    entriesPerRequest: 10_000,
    idsPerRequest: 1_000,
    requestTimeoutMs: 120_000,
    rateLimitPerMinute: 0,
  },
  ui: { trustForwardedProto: false },
  publicBaseUrl: '',
  storage: {
    driver: 'disk',
    s3: {
      bucket: '',
      prefix: '',
      endpoint: '',
      region: 'us-east-1',
      forcePathStyle: false,
      accessKeyId: '',
      secretAccessKey: '',
      partSizeBytes: 8 * 1024 * 1024,
      requestChecksumCalculation: 'WHEN_SUPPORTED',
      responseChecksumValidation: 'WHEN_SUPPORTED',
      connectTimeoutMs: 10_000,
      socketTimeoutMs: 30_000,
      maxAttempts: 3,
    },
  },
  fetch: {
    allowCidrs: [],
    maxRedirects: 5,
    connectTimeoutMs: 10_000,
    totalTimeoutMs: 120_000,
    maxConcurrentDownloads: 16,
    maxBytes: { image: 15 * 1024 * 1024, video: 100 * 1024 * 1024, file: 100 * 1024 * 1024 },
  },
  jobs: {
    workerConcurrency: 4,
    inProcessWorker: true,
    leaseMs: 60_000,
    maxRetries: 5,
    retryBaseMs: 1_000,
    pollMs: 500,
  },
}

/** Options given on the command line; undefined means "not given". */
export interface ConfigFlags {
  host?: string
  port?: string | number
  dataDir?: string
  database?: string
  config?: string
}

type Env = Record<string, string | undefined>

const checkConfig = Compile(ConfigSchema)

function readConfigFile(file: string): Partial<Config> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsageError(`Cannot read config file ${file}: ${(err as Error).message}`)
  }
  try {
    const parsed: unknown = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text)
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('the file must contain an object')
    }
    return parsed as Partial<Config>
  } catch (err) {
    throw new UsageError(`Cannot parse config file ${file}: ${(err as Error).message}`)
  }
}

function intFrom(value: string | number | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isInteger(n)) throw new UsageError(`${name} must be an integer, got '${value}'`)
  return n
}

function boolFrom(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined
  return ['1', 'true', 'yes'].includes(value.toLowerCase())
}

function definedOnly<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>
}

/**
 * Resolves the configuration. This is the only place that reads the environment:
 * MEDIALIB_HOST, MEDIALIB_PORT, MEDIALIB_DATA_DIR, MEDIALIB_CONFIG, MEDIALIB_DATABASE_URL,
 * MEDIALIB_DB_POOL_SIZE, MEDIALIB_LOG_LEVEL, MEDIALIB_MAX_BODY_BYTES, MEDIALIB_MAX_ENTRIES_PER_REQUEST,
 * MEDIALIB_REQUEST_TIMEOUT_MS, MEDIALIB_RATE_LIMIT_PER_MINUTE, MEDIALIB_UI_TRUST_FORWARDED_PROTO,
 * MEDIALIB_PUBLIC_BASE_URL, MEDIALIB_STORAGE_DRIVER, MEDIALIB_S3_* (BUCKET, PREFIX, ENDPOINT, REGION,
 * FORCE_PATH_STYLE, ACCESS_KEY_ID, SECRET_ACCESS_KEY, PART_SIZE_BYTES, REQUEST_CHECKSUM_CALCULATION,
 * RESPONSE_CHECKSUM_VALIDATION, CONNECT_TIMEOUT_MS, SOCKET_TIMEOUT_MS, MAX_ATTEMPTS),
 * MEDIALIB_FETCH_ALLOW_CIDRS (comma-separated), MEDIALIB_WORKER_CONCURRENCY, MEDIALIB_IN_PROCESS_WORKER.
 */
export function loadConfig(flags: ConfigFlags = {}, env: Env = process.env): Config {
  const configFile = flags.config ?? env.MEDIALIB_CONFIG
  const fromFile = configFile ? readConfigFile(configFile) : {}
  const fromEnv = definedOnly({
    host: env.MEDIALIB_HOST || undefined,
    port: intFrom(env.MEDIALIB_PORT, 'MEDIALIB_PORT'),
    dataDir: env.MEDIALIB_DATA_DIR || undefined,
    databaseUrl: env.MEDIALIB_DATABASE_URL || undefined,
    dbPoolSize: intFrom(env.MEDIALIB_DB_POOL_SIZE, 'MEDIALIB_DB_POOL_SIZE'),
    logLevel: (env.MEDIALIB_LOG_LEVEL || undefined) as Config['logLevel'] | undefined,
  })
  const limitsFromEnv = definedOnly({
    bodyBytes: intFrom(env.MEDIALIB_MAX_BODY_BYTES, 'MEDIALIB_MAX_BODY_BYTES'),
    entriesPerRequest: intFrom(env.MEDIALIB_MAX_ENTRIES_PER_REQUEST, 'MEDIALIB_MAX_ENTRIES_PER_REQUEST'),
    requestTimeoutMs: intFrom(env.MEDIALIB_REQUEST_TIMEOUT_MS, 'MEDIALIB_REQUEST_TIMEOUT_MS'),
    rateLimitPerMinute: intFrom(env.MEDIALIB_RATE_LIMIT_PER_MINUTE, 'MEDIALIB_RATE_LIMIT_PER_MINUTE'),
  })
  const fromFlags = definedOnly({
    host: flags.host,
    port: intFrom(flags.port, '--port'),
    dataDir: flags.dataDir,
    databaseUrl: flags.database,
  })
  const merged = {
    ...DEFAULT_CONFIG,
    ...fromFile,
    ...fromEnv,
    ...fromFlags,
    limits: { ...DEFAULT_CONFIG.limits, ...(fromFile.limits ?? {}), ...limitsFromEnv },
    ui: {
      ...DEFAULT_CONFIG.ui,
      ...(fromFile.ui ?? {}),
      ...definedOnly({ trustForwardedProto: boolFrom(env.MEDIALIB_UI_TRUST_FORWARDED_PROTO) }),
    },
  }
  const s3File = fromFile.storage?.s3 ?? {}
  const full = {
    ...merged,
    publicBaseUrl: env.MEDIALIB_PUBLIC_BASE_URL ?? fromFile.publicBaseUrl ?? DEFAULT_CONFIG.publicBaseUrl,
    storage: {
      driver: (env.MEDIALIB_STORAGE_DRIVER ||
        fromFile.storage?.driver ||
        DEFAULT_CONFIG.storage.driver) as 'disk',
      s3: {
        ...DEFAULT_CONFIG.storage.s3,
        ...s3File,
        ...definedOnly({
          bucket: env.MEDIALIB_S3_BUCKET,
          prefix: env.MEDIALIB_S3_PREFIX,
          endpoint: env.MEDIALIB_S3_ENDPOINT,
          region: env.MEDIALIB_S3_REGION || undefined,
          forcePathStyle: boolFrom(env.MEDIALIB_S3_FORCE_PATH_STYLE),
          accessKeyId: env.MEDIALIB_S3_ACCESS_KEY_ID,
          secretAccessKey: env.MEDIALIB_S3_SECRET_ACCESS_KEY,
          partSizeBytes: intFrom(env.MEDIALIB_S3_PART_SIZE_BYTES, 'MEDIALIB_S3_PART_SIZE_BYTES'),
          requestChecksumCalculation: (env.MEDIALIB_S3_REQUEST_CHECKSUM_CALCULATION || undefined) as
            'WHEN_REQUIRED' | undefined,
          responseChecksumValidation: (env.MEDIALIB_S3_RESPONSE_CHECKSUM_VALIDATION || undefined) as
            'WHEN_REQUIRED' | undefined,
          connectTimeoutMs: intFrom(env.MEDIALIB_S3_CONNECT_TIMEOUT_MS, 'MEDIALIB_S3_CONNECT_TIMEOUT_MS'),
          socketTimeoutMs: intFrom(env.MEDIALIB_S3_SOCKET_TIMEOUT_MS, 'MEDIALIB_S3_SOCKET_TIMEOUT_MS'),
          maxAttempts: intFrom(env.MEDIALIB_S3_MAX_ATTEMPTS, 'MEDIALIB_S3_MAX_ATTEMPTS'),
        }),
      },
    },
    fetch: {
      ...DEFAULT_CONFIG.fetch,
      ...(fromFile.fetch ?? {}),
      maxBytes: { ...DEFAULT_CONFIG.fetch.maxBytes, ...(fromFile.fetch?.maxBytes ?? {}) },
      ...definedOnly({
        allowCidrs: env.MEDIALIB_FETCH_ALLOW_CIDRS?.split(',')
          .map((c) => c.trim())
          .filter((c) => c !== ''),
      }),
    },
    jobs: {
      ...DEFAULT_CONFIG.jobs,
      ...(fromFile.jobs ?? {}),
      ...definedOnly({
        workerConcurrency: intFrom(env.MEDIALIB_WORKER_CONCURRENCY, 'MEDIALIB_WORKER_CONCURRENCY'),
        inProcessWorker: boolFrom(env.MEDIALIB_IN_PROCESS_WORKER),
      }),
    },
  }
  if (!checkConfig.Check(full)) {
    const problems = [...checkConfig.Errors(full)].map((e) => `${e.instancePath || '/'} ${e.message}`)
    throw new UsageError(`Invalid configuration: ${problems.join('; ')}`)
  }
  return { ...full, dataDir: path.resolve(full.dataDir) }
}
