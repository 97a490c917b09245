/**
 * What differs between the two databases, as data. Only `src/db` branches on the dialect;
 * everything else asks this object.
 */
export interface DialectCaps {
  readonly name: 'sqlite' | 'postgres'
  /** Column type for JSON documents. */
  readonly jsonType: 'jsonb' | 'text'
  /** Column type for timestamps. */
  readonly timestampType: 'timestamptz' | 'text'
  /** Most bind parameters one statement may carry. */
  readonly maxBindParams: number
  /** Converts a Date to what the timestamp column stores. */
  toTime(date: Date): Date | string
  /** Converts a stored timestamp to an ISO-8601 string. */
  fromTime(value: unknown): string
  /** Parses a stored JSON column. */
  fromJson(value: unknown): unknown
  /** True when the error means the database could not be reached (as opposed to a bad query). */
  isConnectionError(err: unknown): boolean
  /** True when the transaction lost a race (deadlock, serialization failure) and can simply run again. */
  isRetryable(err: unknown): boolean
}

const codeOf = (err: unknown) => (err as { code?: unknown } | null)?.code

export const sqliteCaps: DialectCaps = {
  name: 'sqlite',
  jsonType: 'text',
  timestampType: 'text',
  // SQLITE_MAX_VARIABLE_NUMBER is 32766 in the SQLite that better-sqlite3 12 bundles.
  maxBindParams: 32_766,
  toTime: (date) => date.toISOString(),
  fromTime: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  fromJson: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
  isConnectionError: (err) => {
    const code = codeOf(err)
    return (
      typeof code === 'string' &&
      (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_IOERR'))
    )
  },
  // SQLite has one writer at a time and waits for it (busy_timeout). Several processes on one file can
  // still starve one of them past the timeout (the busy handler polls; it does not queue): the
  // transaction rolled back, so running it again is safe.
  isRetryable: (err) => {
    const code = codeOf(err)
    return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
  },
}

const PG_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown (also pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
])

export const postgresCaps: DialectCaps = {
  name: 'postgres',
  jsonType: 'jsonb',
  timestampType: 'timestamptz',
  maxBindParams: 65_535,
  toTime: (date) => date,
  fromTime: (value) => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString()),
  fromJson: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
  isConnectionError: (err) => {
    if (err === null || typeof err !== 'object') return false
    const { code, message } = err as { code?: unknown; message?: unknown }
    if (typeof code === 'string' && (PG_CONNECTION_CODES.has(code) || code.startsWith('08'))) return true
    const text = typeof message === 'string' ? message : ''
    if (code === '55000' && /not currently accepting connections/.test(text)) return true
    return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(text)
  },
  // 40P01 deadlock_detected, 40001 serialization_failure: concurrent batches that overlap can hit these.
  isRetryable: (err) => codeOf(err) === '40P01' || codeOf(err) === '40001',
}
