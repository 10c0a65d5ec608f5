// Restoring state never changes how this machine backs up: the promote dialog
// says that this machine's backup settings, backups and keys stay (with the
// values it will keep), and after the promote the Backups page still shows the
// settings from before it (hourly / keep 5 / off-site), not the backup's
// (daily / keep 7 / none). Screens: light, dark, 1000 px.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { backupNow, expect, invokeHttp, setTheme, shot, test } from './fixtures.ts';

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
const card = (page: Page) => page.getByRole('region', { name: 'Schedule & retention' });

test('a promote keeps this machine’s backup settings, and its dialog says so', async ({
  page,
  host,
}) => {
  const offsite = fs.mkdtempSync(path.join(os.tmpdir(), 'stateward-offsite-'));
  try {
    await invokeHttp(host, 'demo.seed', { projects: 2, deployments: 10 });
    // The backup is taken with the defaults: daily, keep the last 7, no off-site folder.
    const backup = await backupNow(host);
    await invokeHttp(host, 'backups.updateSettings', {
      intervalMinutes: 60,
      retention: { keepLast: 5 },
      offsiteDir: offsite,
    });
    const staged = await invokeHttp<{ restoreId: string }>(host, 'restores.preflight', {
      source: { backupId: backup.id },
    });
    await invokeHttp(host, 'restores.drill', { restoreId: staged.restoreId });

    await page.setViewportSize({ width: 1000, height: 900 });
    await page.goto(host.url);
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
      await page
        .locator(`[data-restore-id="${staged.restoreId}"]`)
        .getByRole('button', { name: 'Promote…' })
        .click();
      const keeps = page.getByRole('dialog').getByTestId('promote-keeps');
      await expect(keeps).toContainText(
        'Stays as it is: this machine’s backup settings, backups and keys',
      );
      await expect(keeps).toContainText('hourly, keep the last 5 backups');
      await expect(keeps).toContainText(`off-site copies to ${offsite}`);
      await expect(keeps).toContainText('not the backup’s');
      await expect(keeps).toContainText('only the data changes');
      // The dialog also says what else happens: the pre-restore backup taken first.
      await expect(page.getByRole('dialog').getByTestId('promote-confirm')).toContainText(
        'A pre-restore backup of the current live data is taken',
      );
      await keeps.scrollIntoViewIfNeeded();
      await shot(page, `77c-${theme}-promote-keeps-settings-1000`);
      if (theme === 'light') {
        await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
        await expect(page.getByRole('dialog')).toBeHidden();
      }
    }
    await page
      .getByRole('dialog')
      .getByRole('button', { name: 'Promote: make this copy live' })
      .click();
    await expect(page.getByTestId('promote-done')).toBeVisible();
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();

    // The Backups page still shows this machine's settings, not the backup's.
    await nav(page).getByRole('button', { name: 'Backups' }).click();
    const settings = card(page);
    await expect(settings.getByLabel('Interval')).toHaveValue('60');
    await expect(settings.getByLabel('Keep last')).toHaveValue('5');
    await expect(settings.getByLabel('Folder')).toHaveValue(offsite);
    await settings.scrollIntoViewIfNeeded();
    await shot(page, '77d-dark-backups-after-promote-1000');
    // And so does a fresh load (the host's own record, not the page's memory).
    await page.reload();
    await expect(card(page).getByLabel('Interval')).toHaveValue('60');
    await expect(card(page).getByLabel('Keep last')).toHaveValue('5');
    await expect(card(page).getByLabel('Folder')).toHaveValue(offsite);
  } finally {
    fs.rmSync(offsite, { recursive: true, force: true });
  }
});
