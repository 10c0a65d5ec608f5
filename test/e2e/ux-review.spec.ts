// A keyboard-only review of issue 10.5 and 10.9: the focus goes back to the control
// that opened a dialog, and the browser's Back/Forward never leave a dialog floating
// over another screen, and a 100-character name never widens the page (10.11).
import type { Page } from '@playwright/test';
import { backupNow, compareCopyOf, expect, invokeHttp, loadDemo, test } from './fixtures.ts';

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

/** What is wider than the window: the page itself, the main area, the detail panel's content, a toast. */
const OVERFLOW = `(() => {
  const out = [];
  const w = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > w + 1) out.push('page ' + document.documentElement.scrollWidth);
  const main = document.querySelector('main');
  if (main && main.scrollWidth > main.clientWidth + 1) out.push('main ' + main.scrollWidth + ' > ' + main.clientWidth);
  const panel = document.querySelector('aside.detail');
  if (panel) {
    const edge = panel.getBoundingClientRect().right;
    for (const el of panel.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > edge + 1) out.push('detail panel: ' + el.tagName + ' ' + (el.textContent ?? '').slice(0, 30));
    }
  }
  for (const t of document.querySelectorAll('.toast')) {
    const r = t.getBoundingClientRect();
    if (r.right > w + 1) out.push('toast ends at ' + Math.round(r.right));
  }
  return out;
})()`;

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

test('100-character names without a space stay inside the page at 1000 px', async ({
  page,
  host,
}) => {
  await page.setViewportSize({ width: 1000, height: 760 });
  const long = (s: string) => `${s}-${'x'.repeat(100 - s.length - 1)}`;
  const project = await invokeHttp<{ id: string }>(host, 'projects.create', {
    name: long('project'),
    description: '',
  });
  const env = await invokeHttp<{ id: string }>(host, 'environments.create', {
    projectId: project.id,
    name: long('environment'),
  });
  await invokeHttp(host, 'deployments.create', {
    environmentId: env.id,
    version: long('version'),
    status: 'succeeded',
  });
  await page.goto(host.url);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  const check = async (where: string) => expect(await page.evaluate(OVERFLOW), where).toEqual([]);
  await check('Dashboard');
  await nav(page).getByRole('button', { name: 'Projects' }).click();
  await page.getByRole('listbox', { name: 'Projects' }).getByRole('option').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(long('project'));
  await check('project page');
  await page.getByRole('button', { name: 'New environment' }).first().click();
  await page.keyboard.type(long('second'));
  await page.keyboard.press('Enter');
  await expect(page.getByText('Environment created')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(long('second'));
  await check('environment page, with its toast');
  await nav(page).getByRole('button', { name: 'All deployments' }).click();
  await page.getByText(long('version')).first().click();
  await expect(page.locator('aside.detail')).toBeVisible();
  await check('deployments with the detail panel');
});

test('Compare with live keeps 100-character names inside the page at 1000 px', async ({
  page,
  host,
}) => {
  await page.setViewportSize({ width: 1000, height: 800 });
  await invokeHttp(host, 'demo.seed', { projects: 2, deployments: 10 });
  const backup = await backupNow(host);
  // Made after the backup: the newest live deployment and the changes by name carry them.
  const project = await invokeHttp<{ id: string }>(host, 'projects.create', {
    name: `p-${'q'.repeat(98)}`,
  });
  const env = await invokeHttp<{ id: string }>(host, 'environments.create', {
    projectId: project.id,
    name: `e-${'r'.repeat(98)}`,
  });
  await invokeHttp(host, 'deployments.create', {
    environmentId: env.id,
    version: `v-${'s'.repeat(98)}`,
  });
  await compareCopyOf(page, host, backup.id);
  await expect(page.getByTestId('restore-diff-summary')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Changes by name' })).toContainText('q'.repeat(30));
  expect(await page.evaluate(OVERFLOW)).toEqual([]);
});
