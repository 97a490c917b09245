import { defineConfig } from 'vitest/config'

/**
 * Two groups of test files (docs/architecture.md, "Tests"). Most files run two at a time: they spend much of
 * their time waiting on PostgreSQL, child processes and sockets, so two workers on CI's 2 cores take about
 * half the wall time of one. The files in SERIAL then run one at a time, after the others: their assertions
 * measure time or memory against a bound (thumbnail delays, fair queues, body budgets, crash loops,
 * first-page timing in Chromium), or they drive Chromium, and a neighbour would make them measure the
 * neighbour.
 */
const SERIAL = [
  'test/browser/**/*.test.ts',
  'test/e2e/crash-safety.test.ts',
  'test/e2e/crash-tmp.test.ts',
  'test/e2e/entry-events-crash.test.ts',
  'test/e2e/fair-queue.test.ts',
  'test/e2e/import-budget.test.ts',
  'test/e2e/limits.test.ts',
  'test/e2e/source-scan-2000.test.ts',
  'test/e2e/source-scan-workers.test.ts',
  'test/e2e/load-run.test.ts',
  'test/e2e/thumbnail-bounds.test.ts',
  'test/e2e/token-cache.test.ts',
  'test/e2e/upload-tus-crash.test.ts',
  'test/e2e/url-import-serve-process.test.ts',
  'test/e2e/webhook-delivery.test.ts',
  'test/e2e/worker-kill.test.ts',
  'test/integration/storage-faults.test.ts',
]

const shared = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  globalSetup: ['test/global-setup.ts'],
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'parallel',
          include: ['test/**/*.test.ts'],
          exclude: SERIAL,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'serial',
          include: SERIAL,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
