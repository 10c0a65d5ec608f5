// Demo data through the first-run screen, then every main screen saved as a
// screenshot under test-results/screens/ (light, and the key ones dark).
import { expect, shot, test } from './fixtures.ts';

test('every main screen with demo data', async ({ page, host }) => {
  const nav = page.getByRole('navigation', { name: 'Main' });
  await page.goto(host.url);
  await expect(page.getByRole('heading', { name: 'Welcome to Stateward' })).toBeVisible();
  await shot(page, '01-first-run');

  await page.getByRole('button', { name: 'Load demo data' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible({
    timeout: 30_000,
  });
  // The host took a scheduled catch-up backup of the new data dir at start.
  await expect(page.getByTestId('safety-last-backup')).toContainText('Scheduled');
  await expect(page.getByText('No restore drill yet')).toBeVisible();
  await expect(page.getByRole('button', { name: /400\s+Deployments/ })).toBeVisible();
  await shot(page, '02-dashboard');

  await nav.getByRole('button', { name: 'Projects' }).click();
  const projects = page.getByRole('listbox', { name: 'Projects' });
  await expect(projects).toContainText('billing-api');
  await shot(page, '03-projects');

  // Keyboard: arrow down to the second project, Enter opens it.
  await projects.focus();
  await page.keyboard.press('ArrowDown');
  await expect(projects.getByRole('option', { selected: true })).toContainText('auth-gateway');
  await shot(page, '03b-projects-keyboard-focus');
  await page.keyboard.press('Enter');
  const envs = page.getByRole('listbox', { name: /Environments of/ });
  await expect(envs).toContainText('production');
  await shot(page, '04-environments');

  await envs.getByText('production', { exact: true }).click();
  const list = page.getByRole('listbox', { name: 'Deployments' });
  await expect(list.getByRole('option').first()).toContainText(/\d+\.\d+\.\d+/);
  await shot(page, '05-environment-deployments');

  await list.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  const detail = page.getByRole('complementary', { name: 'Deployment details' });
  await expect(detail.getByRole('heading', { name: 'Configuration snapshot' })).toBeVisible();
  await expect(detail.getByText('SHA-256')).toBeVisible();
  await shot(page, '06-deployment-detail');
  await page.keyboard.press('Escape');
  await expect(detail).toBeHidden();

  await nav.getByRole('button', { name: 'All deployments' }).click();
  await page.getByLabel('Status').selectOption('failed');
  await expect(
    page.getByRole('listbox', { name: 'Deployments' }).getByRole('option').first(),
  ).toContainText('Failed');
  await page.getByRole('listbox', { name: 'Deployments' }).getByRole('option').first().click();
  await expect(detail.getByText('Diagnostic summary')).toBeVisible();
  await shot(page, '07-all-deployments-failed');

  await page.getByRole('button', { name: 'Record deployment' }).first().click();
  await expect(page.getByRole('dialog', { name: 'Record deployment' })).toBeVisible();
  await shot(page, '07b-record-dialog');
  await page.keyboard.press('Escape');

  await nav.getByRole('button', { name: 'Audit log' }).click();
  await expect(page.getByRole('listbox', { name: 'Audit log' })).toContainText('demo');
  await shot(page, '08-audit');

  // Dark theme through the toggle (system → light → dark), persisted across a reload.
  const toggle = page.getByRole('button', { name: /Change theme/ });
  await toggle.click();
  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByRole('listbox', { name: 'Audit log' })).toBeVisible();
  await shot(page, '10-dark-audit');
  await nav.getByRole('button', { name: 'Dashboard' }).click();
  await expect(page.getByTestId('safety-last-backup')).toBeVisible();
  await shot(page, '11-dark-dashboard');
  await nav.getByRole('button', { name: 'All deployments' }).click();
  await page.getByRole('listbox', { name: 'Deployments' }).getByRole('option').first().click();
  await expect(detail.getByText('Timing')).toBeVisible();
  await shot(page, '12-dark-deployment-detail');
  // A small window: the layout still fits.
  await page.setViewportSize({ width: 1024, height: 680 });
  await shot(page, '12b-dark-deployment-detail-small-window');
  await page.setViewportSize({ width: 1360, height: 860 });
  await nav.getByRole('button', { name: 'Projects' }).click();
  await page.getByRole('button', { name: 'New project' }).click();
  const dialog = page.getByRole('dialog', { name: 'New project' });
  await dialog.getByLabel('Name').fill('billing-api');
  await dialog.getByRole('button', { name: 'Create project' }).click();
  await expect(dialog.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
  await shot(page, '13-dark-project-dialog-conflict');
});

test('first run in the dark, following the system theme', async ({ page, host }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(host.url);
  await expect(page.getByRole('heading', { name: 'Welcome to Stateward' })).toBeVisible();
  await shot(page, '14-dark-first-run');
});
