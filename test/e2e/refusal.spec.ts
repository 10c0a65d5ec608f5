// A data dir whose database is not a Stateward database: the app refuses it and
// says why, with the code, the hint, the data dir and the log file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, shot, test } from './fixtures.ts';

test('a garbage stateward.db shows the refusal screen', async ({ page, dataDir, startHost }) => {
  fs.writeFileSync(path.join(dataDir, 'stateward.db'), crypto.randomBytes(64 * 1024));
  const host = await startHost();
  await page.goto(host.url);
  await expect(
    page.getByRole('heading', { name: /did not open this data directory/ }),
  ).toBeVisible();
  await expect(page.getByTestId('refusal-code')).toHaveText('NOT_A_STATEWARD_DB');
  await expect(page.getByTestId('refusal-message')).not.toBeEmpty();
  await expect(page.getByText(dataDir, { exact: true })).toBeVisible();
  await shot(page, '09-refusal');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, '09-refusal-dark');
  // Trying again re-asks the host and still explains the refusal.
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByTestId('refusal-code')).toHaveText('NOT_A_STATEWARD_DB');
});
