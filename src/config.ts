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
 * MEDIALIB_REQUEST_TIMEOUT_MS, MEDIALIB_RATE_LIMIT_PER_MINUTE, MEDIALIB_UI_TRUST_FORWARDED_PROTO.
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
  if (!checkConfig.Check(merged)) {
    const problems = [...checkConfig.Errors(merged)].map((e) => `${e.instancePath || '/'} ${e.message}`)
    throw new UsageError(`Invalid configuration: ${problems.join('; ')}`)
  }
  return { ...merged, dataDir: path.resolve(merged.dataDir) }
}
