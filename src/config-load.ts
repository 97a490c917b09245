import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Compile } from 'typebox/compile'
import YAML from 'yaml'
import { ConfigSchema, type Config } from './config.js'
import { DEFAULT_CONFIG } from './config-defaults.js'
import { UsageError } from './errors.js'

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

type SchemaNode = { properties?: Record<string, SchemaNode> }

/** The first key of a config file that the schema does not know, with the keys valid at its place. */
function unknownKey(
  value: unknown,
  schema: SchemaNode,
  prefix = '',
): { key: string; valid: string[] } | undefined {
  if (!schema.properties || value === null || typeof value !== 'object' || Array.isArray(value)) return
  for (const [key, child] of Object.entries(value)) {
    const sub = schema.properties[key]
    if (!sub) return { key: `${prefix}${key}`, valid: Object.keys(schema.properties) }
    const deeper = unknownKey(child, sub, `${prefix}${key}.`)
    if (deeper) return deeper
  }
  return undefined
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
 * MEDIALIB_UPLOAD_MAX_FILE_BYTES, MEDIALIB_TUS_EXPIRY_MINUTES,
 * MEDIALIB_PUBLIC_BASE_URL, MEDIALIB_PUBLIC_ASSET_ORIGIN, MEDIALIB_TRASH_DAYS, MEDIALIB_EVENT_RETENTION_DAYS, MEDIALIB_STORAGE_DRIVER, MEDIALIB_S3_* (BUCKET, PREFIX, PROJECT_PREFIX, PROJECT_BUCKETS as `project=bucket,…`, ENDPOINT, REGION,
 * FORCE_PATH_STYLE, ACCESS_KEY_ID, SECRET_ACCESS_KEY, PART_SIZE_BYTES, REQUEST_CHECKSUM_CALCULATION,
 * RESPONSE_CHECKSUM_VALIDATION, CONNECT_TIMEOUT_MS, SOCKET_TIMEOUT_MS, MAX_ATTEMPTS),
 * MEDIALIB_FETCH_ALLOW_CIDRS (comma-separated), MEDIALIB_WORKER_CONCURRENCY, MEDIALIB_IN_PROCESS_WORKER,
 * MEDIALIB_MAX_IN_FLIGHT_PER_PROJECT, MEDIALIB_METRICS_ENABLED, MEDIALIB_METRICS_TOKEN,
 * MEDIALIB_VARIANT_CACHE_BYTES, MEDIALIB_EXTERNAL_PREVIEWS.
 */
export function loadConfig(flags: ConfigFlags = {}, env: Env = process.env): Config {
  const configFile = flags.config ?? env.MEDIALIB_CONFIG
  const fromFile = configFile ? readConfigFile(configFile) : {}
  const unknown = unknownKey(fromFile, ConfigSchema as SchemaNode)
  if (unknown) {
    throw new UsageError(
      `unknown config key '${unknown.key}' in ${configFile}; valid keys here: ${unknown.valid.join(', ')}`,
    )
  }
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
    importBytesInFlight: intFrom(env.MEDIALIB_IMPORT_BYTES_IN_FLIGHT, 'MEDIALIB_IMPORT_BYTES_IN_FLIGHT'),
    importWaitMs: intFrom(env.MEDIALIB_IMPORT_WAIT_MS, 'MEDIALIB_IMPORT_WAIT_MS'),
    importWorkerBytes: intFrom(env.MEDIALIB_IMPORT_WORKER_BYTES, 'MEDIALIB_IMPORT_WORKER_BYTES'),
    imageTimeoutSeconds: intFrom(env.MEDIALIB_IMAGE_TIMEOUT_SECONDS, 'MEDIALIB_IMAGE_TIMEOUT_SECONDS'),
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
    metrics: {
      ...DEFAULT_CONFIG.metrics,
      ...(fromFile.metrics ?? {}),
      ...definedOnly({
        enabled: boolFrom(env.MEDIALIB_METRICS_ENABLED),
        token: env.MEDIALIB_METRICS_TOKEN || undefined,
      }),
    },
    variants: {
      ...DEFAULT_CONFIG.variants,
      ...(fromFile.variants ?? {}),
      ...definedOnly({
        cacheBytes: intFrom(env.MEDIALIB_VARIANT_CACHE_BYTES, 'MEDIALIB_VARIANT_CACHE_BYTES'),
        externalPreviews: boolFrom(env.MEDIALIB_EXTERNAL_PREVIEWS),
        ffmpegPath: env.MEDIALIB_FFMPEG_PATH,
      }),
    },
    upload: {
      ...DEFAULT_CONFIG.upload,
      ...(fromFile.upload ?? {}),
      ...definedOnly({
        maxFileBytes: intFrom(env.MEDIALIB_UPLOAD_MAX_FILE_BYTES, 'MEDIALIB_UPLOAD_MAX_FILE_BYTES'),
        tusExpiryMinutes: intFrom(env.MEDIALIB_TUS_EXPIRY_MINUTES, 'MEDIALIB_TUS_EXPIRY_MINUTES'),
      }),
    },
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
    publicAssetOrigin:
      env.MEDIALIB_PUBLIC_ASSET_ORIGIN ?? fromFile.publicAssetOrigin ?? DEFAULT_CONFIG.publicAssetOrigin,
    trashDays:
      intFrom(env.MEDIALIB_TRASH_DAYS, 'MEDIALIB_TRASH_DAYS') ??
      fromFile.trashDays ??
      DEFAULT_CONFIG.trashDays,
    eventRetentionDays:
      intFrom(env.MEDIALIB_EVENT_RETENTION_DAYS, 'MEDIALIB_EVENT_RETENTION_DAYS') ??
      fromFile.eventRetentionDays ??
      DEFAULT_CONFIG.eventRetentionDays,
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
          projectPrefix: env.MEDIALIB_S3_PROJECT_PREFIX || undefined,
          projectBuckets: env.MEDIALIB_S3_PROJECT_BUCKETS
            ? Object.fromEntries(
                env.MEDIALIB_S3_PROJECT_BUCKETS.split(',')
                  .filter((pair) => pair.trim() !== '')
                  .map((pair) => pair.split('=').map((part) => part.trim())),
              )
            : undefined,
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
        maxInFlightPerProject: intFrom(
          env.MEDIALIB_MAX_IN_FLIGHT_PER_PROJECT,
          'MEDIALIB_MAX_IN_FLIGHT_PER_PROJECT',
        ),
      }),
    },
  }
  if (!checkConfig.Check(full)) {
    const problems = [...checkConfig.Errors(full)].map((e) => `${e.instancePath || '/'} ${e.message}`)
    throw new UsageError(`Invalid configuration: ${problems.join('; ')}`)
  }
  return { ...full, dataDir: path.resolve(full.dataDir) }
}
