// The UI's manners (issue 10.5, 10.9, 10.11): where the keyboard focus lands,
// Back/Forward inside the app, "disconnected" and reconnecting when the host goes
// away, readable contrast in both themes, and no failed request on load.
import fs from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, hostAt, invokeHttp, test } from './fixtures.ts';

const SHOTS = '/tmp/shots';

async function look(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  await page.screenshot({ path: `${SHOTS}/${name}.png`, animations: 'disabled' });
}

async function loadDemo(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Load demo data' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible({
    timeout: 30_000,
  });
}

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

/** What has the focus, described for an assertion message. */
function focused(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el) return 'nothing';
    const label = el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 40) ?? '';
    return el.tagName.toLowerCase() + '.' + el.className + ' "' + label + '"';
  })()`);
}

test('dialogs open with the focus on their first field, never on × or a destructive button', async ({
  page,
  host,
}) => {
  await loadDemo(page, host.url);

  // New project: typing goes into the name, Enter submits (it does not close the dialog).
  await nav(page).getByRole('button', { name: 'Projects' }).click();
  await page.getByRole('button', { name: 'New project' }).click();
  const projectDialog = page.getByRole('dialog', { name: 'New project' });
  await expect(projectDialog.getByLabel('Name')).toBeFocused();
  await page.keyboard.type('focus-check');
  await page.keyboard.press('Enter');
  await expect(projectDialog).toBeHidden();
  await expect(page.getByRole('heading', { level: 1, name: 'focus-check' })).toBeVisible();

  // New environment, on that project's page.
  await page.getByRole('button', { name: 'New environment' }).first().click();
  const envDialog = page.getByRole('dialog', { name: 'New environment' });
  await expect(envDialog.getByLabel('Name')).toBeFocused();
  await page.keyboard.type('staging');
  await page.keyboard.press('Enter');
  await expect(envDialog).toBeHidden();
  await expect(page.getByRole('main')).toContainText('staging');

  // Record deployment: the first field.
  await nav(page).getByRole('button', { name: 'All deployments' }).click();
  await page.getByRole('button', { name: 'Record deployment' }).click();
  const record = page.getByRole('dialog', { name: 'Record deployment' });
  await expect(record.getByLabel('Project')).toBeFocused();
  await page.keyboard.press('Escape');

  // Every dialog: whatever it focuses is not the header's × nor a destructive button.
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  await page.getByRole('button', { name: 'Back up now' }).first().click();
  const wizard = page.getByRole('dialog');
  await expect(wizard).toBeVisible();
  expect(await focused(page)).not.toMatch(/Close"|button-danger/);
});

test('Enter pressed twice on "Run full backup" does not cancel the backup', async ({
  page,
  host,
}) => {
  await loadDemo(page, host.url);
  const cancels: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/invoke/backups.cancel')) cancels.push(r.url());
  });
  // Hold the result so the run step stays on screen while the second Enter arrives.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/invoke/backups.create', async (route) => {
    const response = await route.fetch();
    await held;
    await route.fulfill({ response });
  });

  await page.getByRole('button', { name: 'Back up now' }).first().click();
  const dialog = page.getByRole('dialog');
  await page.keyboard.press('Enter'); // Mode → Destination
  const run = dialog.getByRole('button', { name: 'Run full backup' });
  await expect(run).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await expect(dialog.getByTestId('wizard-step')).toHaveAttribute('data-step', 'run');
  const cancel = dialog.getByRole('button', { name: 'Cancel backup' });
  await expect(cancel).toBeVisible();
  await expect(cancel).not.toBeFocused();
  await page.keyboard.press('Enter');
  await expect(cancel).toBeEnabled();
  release();
  await expect(dialog.getByRole('heading', { name: 'Backup complete' })).toBeVisible();
  expect(cancels).toEqual([]);
});

test("the browser's Back and Forward move between screens and stay in the app", async ({
  page,
  host,
}) => {
  await loadDemo(page, host.url);
  const h1 = page.getByRole('heading', { level: 1 });
  await nav(page).getByRole('button', { name: 'Projects' }).click();
  const first = page.getByRole('listbox', { name: 'Projects' }).getByRole('option').first();
  const name = (await first.locator('strong').first().innerText()).trim();
  await first.click();
  await expect(h1).toHaveText(name);
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  await expect(h1).toHaveText('Backups');

  await page.goBack();
  await expect(h1).toHaveText(name);
  await page.goBack();
  await expect(h1).toHaveText('Projects');
  await page.goBack();
  await expect(h1).toHaveText('Dashboard');
  expect(new URL(page.url()).origin).toBe(host.origin);
  await page.goForward();
  await expect(h1).toHaveText('Projects');
  await page.goForward();
  await expect(h1).toHaveText(name);
  // The breadcrumb ends on this page, not on a bare "Projects ›".
  await expect(
    page.getByRole('navigation', { name: 'Breadcrumb' }).locator('[aria-current="page"]'),
  ).toHaveText(name);
  // A reload keeps the place and the history.
  await page.reload();
  await expect(h1).toHaveText(name);
  await page.goBack();
  await expect(h1).toHaveText('Projects');
});

test('when the host stops the page says "disconnected" and reconnects when it is back', async ({
  page,
  host,
}) => {
  await loadDemo(page, host.url);
  const banner = page.getByTestId('connection-banner');
  await expect(banner).toHaveCount(0);

  await host.stop!();
  await expect(banner).toContainText('Disconnected from the Stateward host');
  await expect(banner).toContainText('Reconnecting by itself');
  await look(page, 'ux-disconnected-light');

  // Data changed while the page was away: it shows once the host is back.
  const port = Number(new URL(host.origin).port);
  const stopAgain = await hostAt(host.dataDir, port, host.token);
  try {
    await page.getByRole('button', { name: 'Reconnect now' }).click();
    await expect(banner).toHaveCount(0);
    await invokeHttp(host, 'projects.create', { name: 'made-while-away', description: '' });
    await nav(page).getByRole('button', { name: 'Projects' }).click();
    await expect(page.getByRole('listbox', { name: 'Projects' })).toContainText('made-while-away');
  } finally {
    await stopAgain();
  }
});

test('no request fails while the app loads', async ({ page, host }) => {
  const failures: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') failures.push(m.text());
  });
  page.on('requestfailed', (r) => {
    // The event stream is cut by the reload itself.
    if (!r.url().endsWith('/api/events')) failures.push(`${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) failures.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(host.url);
  await expect(page.getByRole('heading', { name: 'Welcome to Stateward' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Welcome to Stateward' })).toBeVisible();
  expect(failures).toEqual([]);
});
