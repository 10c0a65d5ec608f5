// End-to-end tests in a real Chromium against the HTTP host (test/e2e), plus the
// Electron smoke tests (test/electron, which skip themselves without an Electron binary).
// `npm run test:e2e` builds the renderer first; the specs start their own hosts.
import { defineConfig } from '@playwright/test';

const launchOptions = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

export default defineConfig({
  testDir: 'test',
  testMatch: ['e2e/**/*.spec.ts', 'electron/**/*.spec.ts'],
  outputDir: 'test-results/artifacts',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env['CI'],
  reporter: [['list']],
  use: {
    headless: true,
    viewport: { width: 1360, height: 860 },
    actionTimeout: 10_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'chromium', use: { browserName: 'chromium', launchOptions } },
    // The main journeys again with every host bound to PostgreSQL (team mode),
    // each test on its own schema of the server .ci/run starts.
    {
      name: 'team',
      // The refusal screen's rollback breaks the local SQLite file on purpose: not a team journey.
      grepInvert: /rollback from the refusal screen/,
      testMatch: [
        'e2e/crud.spec.ts',
        'e2e/restore.spec.ts',
        'e2e/team.spec.ts',
        'e2e/team-secrets.spec.ts',
        'e2e/automation.spec.ts',
      ],
      use: { browserName: 'chromium', launchOptions },
    },
  ],
});
