import { userInfo } from 'node:os'

type SystemError = Error & { code?: string; path?: string; address?: string; port?: number; syscall?: string }

function currentUser(): string {
  try {
    return userInfo().username
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`
  }
}

/**
 * The plain explanation of an error an operator can cause and fix (a busy port, a data directory that
 * cannot be written or is a file, a database file that cannot be opened): the cause and the fix, in one
 * or two lines. Undefined for anything else, which is a bug and keeps its stack trace.
 */
export function explainOperatorError(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined
  const { code, path: file } = err as SystemError
  if (code === 'EADDRINUSE') {
    const { address, port } = err as SystemError
    const where = port !== undefined ? `port ${port}${address ? ` on ${address}` : ''}` : 'the port'
    return `${where} is already in use (another medialib or another program listens there).\nStop it, or choose another port: --port N or MEDIALIB_PORT=N (npm start -- --port N).`
  }
  if ((code === 'EACCES' || code === 'EPERM') && file) {
    const verb = (err as SystemError).syscall === 'mkdir' ? 'create' : 'write'
    return `permission denied: user ${currentUser()} cannot ${verb} ${file}.\nGive that user write access to it, or pass --data-dir (or set MEDIALIB_DATA_DIR) to a directory it can write.`
  }
  if ((code === 'EEXIST' || code === 'ENOTDIR') && file) {
    return `${file} is not a directory (a file is in the way).\nMove the file away, or pass --data-dir (or set MEDIALIB_DATA_DIR) to a directory.`
  }
  if (code?.startsWith('SQLITE_') && file) {
    const why = code.startsWith('SQLITE_NOTADB') ? 'it is not a SQLite database' : err.message
    return `cannot open the database ${file}: ${why}.\nCheck that user ${currentUser()} can read and write the file and its directory (SQLite writes ${file}-wal and -shm beside it).`
  }
  return undefined
}

/** Whether stack traces were asked for: `--debug`, or LOG_LEVEL / MEDIALIB_LOG_LEVEL `debug` or `trace`. */
export function debugRequested(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const level = env.MEDIALIB_LOG_LEVEL ?? env.LOG_LEVEL
  return argv.includes('--debug') || level === 'debug' || level === 'trace'
}
