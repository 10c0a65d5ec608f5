// Schedule & retention shows every field's problem at once (issue 10.7): the form checks
// all its fields before it sends anything, and the backend's errors land on each field
// they are about, in words (never zod's "Too small: expected number to be >=1").
// Retention fields say what their value keeps, counted right ("1 day", "7 days").
import type { Page } from '@playwright/test';
import type { BackupOverview } from '../../shared/domain.ts';
import { expect, invokeHttp, setTheme, shot, test } from './fixtures.ts';

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
const card = (page: Page) => page.getByRole('region', { name: 'Schedule & retention' });

async function openSettings(page: Page, url: string) {
  await page.goto(url);
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  const settings = card(page);
  await expect(settings.getByLabel('Keep last')).toHaveValue('7');
  return settings;
}

test('two bad fields show two messages at once, in words', async ({ page, host }) => {
  await page.setViewportSize({ width: 1000, height: 900 });
  const settings = await openSettings(page, host.url);
  const keepLast = settings.getByLabel('Keep last');
  const daily = settings.getByLabel('Daily');
  const folder = settings.getByLabel('Folder');

  // Plural-correct help under each retention field.
  await expect(settings.getByText('The newest 7 backups.')).toBeVisible();
  await daily.fill('1');
  await expect(settings.getByText('One a day for 1 day.')).toBeVisible();
  await daily.fill('0');
  await expect(settings.getByText('None kept by day.')).toBeVisible();

  // Three bad fields, one save: three messages, each on its own field.
  await keepLast.fill('0');
  await daily.fill('abc');
  await folder.fill('relative/backups');
  await settings.getByRole('button', { name: 'Save settings' }).click();
  await expect(keepLast).toHaveAttribute('aria-invalid', 'true');
  await expect(daily).toHaveAttribute('aria-invalid', 'true');
  await expect(folder).toHaveAttribute('aria-invalid', 'true');
  const messages = settings.locator('.field-error');
  await expect(messages).toHaveText([
    'Keep at least 1 backup.',
    'Enter a whole number of days, like 7.',
    /^Enter an absolute path/,
  ]);
  for (const theme of ['light', 'dark'] as const) {
    await setTheme(page, theme);
    await settings.scrollIntoViewIfNeeded();
    await shot(page, `28b-backup-settings-all-errors-1000-${theme}`);
  }
  // Fixing one field clears its message only.
  await daily.fill('7');
  await expect(daily).not.toHaveAttribute('aria-invalid', 'true');
  await expect(messages).toHaveCount(2);
  // Nothing was saved.
  const overview = await invokeHttp<BackupOverview>(host, 'backups.overview', {});
  expect(overview.settings.retention).toMatchObject({ keepLast: 7, daily: 7 });
});

test('every problem the backend finds lands on its field, in words', async ({ page, host }) => {
  const settings = await openSettings(page, host.url);
  // What an older or other client might send: the form's own checks would stop these.
  await page.route('**/api/invoke/backups.updateSettings', (route) =>
    route.continue({ postData: JSON.stringify({ retention: { keepLast: 0, weekly: 9999 } }) }),
  );
  await settings.getByLabel('Monthly').fill('5');
  await settings.getByRole('button', { name: 'Save settings' }).click();
  await expect(settings.getByLabel('Keep last')).toHaveAttribute('aria-invalid', 'true');
  await expect(settings.getByLabel('Weekly')).toHaveAttribute('aria-invalid', 'true');
  await expect(settings.locator('.field-error')).toHaveText([
    'Must be at least 1',
    'Must be at most 520',
  ]);
  await expect(settings).not.toContainText('Too small');
  await expect(settings).not.toContainText('Too big');
});
