import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Database suites share one Postgres server; files run in parallel but each
    // suite works in its own Postgres schema and its own SQLite file.
    pool: 'forks',
  },
});
