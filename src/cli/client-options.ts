// What the API-client commands (`import`, `export`) share: exit codes, integer options, usage failures,
// and the client from --server, the token options and --api-version (split from import.command.ts).
import { readFileSync } from 'node:fs'
import { InvalidArgumentError } from 'commander'
import { createApiClient, type ApiClient } from '../client/api-client.js'
import { DEFAULT_RETRY } from '../client/http-retry.js'
import { createUploadClient } from '../client/upload-client.js'
import { API_VERSIONS, SUPPORTED_VERSIONS } from '../http/api-versions.js'
import { UsageError } from '../errors.js'

/** Exit codes of `import` and `export`. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const

export function intOption(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`)
    return n
  }
}

/** Prints a usage or connection error and exits with 2 (commander's own parse errors too). */
export function failUsage(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err)
  process.stderr.write(`medialib: ${message}\n`)
  process.exit(EXIT.usage)
}

/** Where the CLI's API clients take their token from: `--token`, `--token-file`, or MEDIALIB_TOKEN. */
export interface TokenOptions {
  token?: string
  tokenFile?: string
}

/**
 * The token: `--token`, else the first line of `--token-file`, else MEDIALIB_TOKEN (the last two keep it
 * out of `ps` and the shell history).
 */
export function tokenFrom(options: TokenOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (options.token) return options.token
  if (options.tokenFile) {
    let text: string
    try {
      text = readFileSync(options.tokenFile, 'utf8')
    } catch (err) {
      throw new UsageError(`cannot read --token-file ${options.tokenFile}: ${(err as Error).message}`)
    }
    const token = text.split(/\r?\n/)[0]?.trim()
    if (!token) throw new UsageError(`--token-file ${options.tokenFile} is empty`)
    return token
  }
  return env.MEDIALIB_TOKEN?.trim() || undefined
}

/** The upload client (`import --files`) from the same options. */
export function uploadClientFrom(
  options: TokenOptions & { server?: string; apiVersion: string; retries: number; report?: string },
) {
  const token = tokenFrom(options) as string
  return createUploadClient({
    server: options.server as string,
    token,
    apiVersion: options.apiVersion,
    retry: { ...DEFAULT_RETRY, attempts: options.retries + 1 },
    // Beside the report and its checkpoint: the unfinished tus uploads a `--resume` continues.
    ...(options.report ? { resumeStore: `${options.report}.uploads` } : {}),
  })
}

export function clientFrom(
  options: TokenOptions & { server?: string; apiVersion: string; retries: number },
  note?: (m: string) => void,
): ApiClient {
  const token = tokenFrom(options)
  if (!options.server || !token)
    throw new UsageError(
      '--server URL and --token TOKEN are required (or the token in --token-file FILE or MEDIALIB_TOKEN)',
    )
  if (!/^https?:\/\//.test(options.server))
    throw new UsageError(`--server must be an http(s) URL, got '${options.server}'`)
  if (!API_VERSIONS.has(options.apiVersion)) {
    throw new UsageError(
      `Unknown --api-version '${options.apiVersion}': one of ${SUPPORTED_VERSIONS.join(', ')}`,
    )
  }
  return createApiClient({
    server: options.server,
    token,
    apiVersion: options.apiVersion,
    retry: {
      ...DEFAULT_RETRY,
      attempts: options.retries + 1,
      onRetry: ({ attempt, delayMs, reason }) =>
        note?.(
          `waiting ${delayMs} ms for ${options.server} (${reason}), then retry ${attempt} of ${options.retries}`,
        ),
    },
  })
}
