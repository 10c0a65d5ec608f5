import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    // PostgreSQL for the tests that need it (started on first use; see test/helpers/pg.ts).
    globalSetup: ['test/helpers/pg-global-setup.ts'],
  },
});
