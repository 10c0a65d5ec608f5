// A keyboard-only review of issue 10.5 and 10.9: the focus goes back to the control
// that opened a dialog, and the browser's Back/Forward never leave a dialog floating
// over another screen.
import type { Page } from '@playwright/test';
import { expect, loadDemo, test } from './fixtures.ts';

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

test('Escape closes a dialog and gives the focus back to the button that opened it', async ({
  page,
  host,
}) => {
  await loadDemo(page, host.url);
  const openers: [string, string][] = [
    ['Projects', 'New project'],
    ['All deployments', 'Record deployment'],
    ['Keys & secrets', 'Set up secrets'],
    ['Restore & drills', 'Verify backups…'],
    ['Restore & drills', 'Restore a backup…'],
  ];
  for (const [screen, opener] of openers) {
    await nav(page).getByRole('button', { name: screen }).click();
    const button = page.getByRole('button', { name: opener }).first();
    await button.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    // Tab never reaches the page behind the dialog.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      const escaped = await page.evaluate(
        `(() => { const a = document.activeElement; return !!a && a !== document.body && !a.closest('dialog[open]'); })()`,
      );
      expect(escaped, `${opener}: Tab #${i + 1} left the dialog`).toBe(false);
    }
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(button, `focus after closing "${opener}"`).toBeFocused();
  }
});

test('Back with a dialog open closes it instead of leaving it over the previous screen', async ({
  page,
  host,
}) => {
  await loadDemo(page, host.url);
  const h1 = page.getByRole('heading', { level: 1 });
  await nav(page).getByRole('button', { name: 'Projects' }).click();
  await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
  await page.getByRole('button', { name: 'Restore a backup…' }).first().click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.goBack();
  await expect(h1).toHaveText('Projects');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.goForward();
  await expect(h1).toHaveText('Restore & drills');
  await expect(page.getByRole('dialog')).toHaveCount(0);

  // The backup's dialog too (after it finished).
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  await page.getByRole('button', { name: 'Back up now' }).first().click();
  await expect(
    page.getByRole('dialog').getByRole('heading', { name: 'Backup complete' }),
  ).toBeVisible({ timeout: 30_000 });
  await page.goBack();
  await expect(h1).toHaveText('Restore & drills');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  // The screen still works with the keyboard (nothing inert left behind).
  await page.getByRole('button', { name: 'Restore a backup…' }).first().click();
  await expect(page.getByRole('dialog')).toBeVisible();
});
