import { randomBytes } from 'node:crypto';
import { defineConfig } from 'vitest/config';

// Names this run's Postgres schemas (see test/support/global-setup.ts); inherited by the workers.
process.env.TICKWORK_TEST_RUN ??= randomBytes(4).toString('hex');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Database suites share one Postgres server; files run in parallel but each
    // suite works in its own Postgres schema and its own SQLite file.
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
  },
});
