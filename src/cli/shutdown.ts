import type { Logger } from 'pino'

/**
 * On the first SIGINT or SIGTERM: logs `message`, runs `stop` (close the server, let workers finish their
 * items, close the database) and exits 0, or 1 when stopping failed. Later signals are ignored while it runs.
 * Shared by `serve` and `worker`.
 */
export function exitOnSignal(
  logger: Pick<Logger, 'info' | 'error'>,
  message: string,
  stop: () => Promise<void>,
) {
  let closing = false
  const shutdown = (signal: string) => {
    if (closing) return
    closing = true
    logger.info({ signal }, message)
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown')
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', () => shutdown('SIGINT'))
  process.once('SIGTERM', () => shutdown('SIGTERM'))
}
