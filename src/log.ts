import pino, { type DestinationStream, type Logger } from 'pino'

/** `?access_token=…` / `&access_token=…` in any URL (a token some clients send as a query parameter). */
const ACCESS_TOKEN_PARAM = /([?&]access_token=)[^&#\s"\\]*/gi
/** A medialib token (`ml_<id>_<secret>`): the id stays readable, the secret goes. */
const TOKEN_SECRET = /\b(ml_[A-Za-z0-9]+_)[A-Za-z0-9_-]{8,}/g
const CENSOR = '[redacted]'

/** A log line (or URL) with every credential it may carry replaced by `[redacted]`. */
export function redactCredentials(text: string): string {
  if (!text.includes('access_token') && !text.includes('ml_')) return text
  return text.replace(ACCESS_TOKEN_PARAM, `$1${CENSOR}`).replace(TOKEN_SECRET, `$1${CENSOR}`)
}

const HEADER_PATHS = ['authorization', 'cookie', '["set-cookie"]', '["x-api-key"]'].flatMap((h) => {
  const at = h.startsWith('[') ? h : `.${h}`
  return [`req.headers${at}`, `res.headers${at}`, `headers${at}`, `*.headers${at}`]
})

/**
 * The logger of `serve` and `worker`. Credentials never reach a log line (issue 13, finding 12):
 * Authorization, Cookie and Set-Cookie header values are censored wherever a `headers` object is logged, the
 * request serializer logs the URL without its `access_token`, and, for anything else (an error message that
 * quotes a URL or a header), every line is scrubbed of `access_token=` values and token secrets before it
 * is written.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: HEADER_PATHS, censor: CENSOR },
    serializers: {
      req: (req: {
        method?: string
        url?: string
        host?: string
        ip?: string
        socket?: { remotePort?: number }
      }) => ({
        method: req.method,
        url: redactCredentials(req.url ?? ''),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
    hooks: { streamWrite: redactCredentials },
  }
  return destination ? pino(options, destination) : pino(options)
}
