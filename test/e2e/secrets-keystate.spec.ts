// Locked is not missing, in the UI. After a host restart the key is still in this
// machine's keyring, only locked: the Secrets tab says 'locked' and asks for the
// passphrase first; a drill run meanwhile says the key is locked (not "this
// machine does not have it"); unlocking updates the tab, the Keys & secrets
// screen and the drill report without a reload. In the restore wizard a locked
// key is unlocked with the passphrase right there, and the copy is checked again.
import type { Page } from '@playwright/test';
import type { DrillReport, Environment, Page as ListPage, Project } from '../../shared/domain.ts';
import {
  backupNow,
  cheapScrypt,
  dismissToasts,
  expect,
  invokeHttp,
  nav,
  shot,
  test,
} from './fixtures.ts';

cheapScrypt();

const PASSPHRASE = 'orbit lantern pebble 42';
const NAME = 'DATABASE_URL';

const panel = (page: Page) => page.getByRole('region', { name: 'Secrets' });
const row = (page: Page) => panel(page).getByRole('row', { name: new RegExp(NAME) });

/** The same page in the dark theme (the app follows the system's by default). */
async function darkShot(page: Page, name: string): Promise<void> {
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, name);
  await page.emulateMedia({ colorScheme: 'light' });
}

async function openSecretsTab(page: Page, project: string, env: string): Promise<void> {
  await nav(page).getByRole('button', { name: 'Projects' }).click();
  await page.getByRole('listbox', { name: 'Projects' }).getByText(project, { exact: true }).click();
  await page
    .getByRole('listbox', { name: /Environments of/ })
    .getByText(env, { exact: true })
    .click();
  await page.getByRole('tab', { name: /Secrets/ }).click();
  await expect(page.getByRole('tab', { name: /Secrets/ })).toHaveAttribute('aria-selected', 'true');
}

test('after a restart the key is locked, not missing: passphrase first, live refresh everywhere', async ({
  page,
  startHost,
}) => {
  test.setTimeout(120_000);
  // Before: secrets with a passphrase, one secret, one backup.
  const first = await startHost();
  await invokeHttp(first, 'demo.seed', { projects: 2, deployments: 20 });
  await invokeHttp(first, 'secrets.setup', { passphrase: PASSPHRASE });
  const projects = await invokeHttp<ListPage<Project>>(first, 'projects.list', {});
  const project = projects.items[0]!;
  const env = (
    await invokeHttp<Environment[]>(first, 'environments.list', { projectId: project.id })
  )[0]!;
  await invokeHttp(first, 'secrets.set', {
    environmentId: env.id,
    name: NAME,
    value: 'postgres://app:Qx7-s3cr3t@db/app',
  });
  const backup = await backupNow(first);
  await first.stop!();

  // The restart: the key is in the keyring, locked.
  const host = await startHost();
  await page.goto(host.url);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await openSecretsTab(page, project.name, env.name);
  const unlock = panel(page).getByRole('form', { name: 'Unlock secrets' });
  await expect(unlock.getByTestId('unlock-key-state')).toHaveAttribute('data-key-state', 'locked');
  await expect(unlock).toContainText('The key is on this machine');
  await expect(row(page).locator('[data-key-state]')).toHaveAttribute('data-key-state', 'locked');
  await expect(row(page)).toContainText('locked');
  await expect(panel(page)).not.toContainText('not on this machine');
  await expect(panel(page)).not.toContainText('does not resolve');
  // The passphrase comes first; the recovery key is the fallback after it.
  const passField = unlock.getByLabel('Passphrase', { exact: true });
  const controls = unlock.locator('input, button');
  await expect(controls.first()).toHaveAttribute('id', (await passField.getAttribute('id'))!);
  await expect(controls.last()).toHaveText('Unlock with recovery key instead');
  await shot(page, 'k1-secrets-tab-locked');
  await darkShot(page, 'k1d-dark-secrets-tab-locked');

  // A drill while locked: its secrets step says locked and asks for the passphrase.
  const drill = await invokeHttp<DrillReport>(host, 'restores.verify', {
    source: { backupId: backup.id },
  });
  const step = drill.steps.find((s) => s.key === 'secrets')!;
  expect(step.status).toBe('warn');
  expect(step.facts?.['keyState']).toBe('locked');
  expect(step.detail).toContain(
    'which this machine holds but is locked: unlock with the passphrase',
  );
  expect(step.detail).not.toMatch(/does not (have|hold)|re-bound/);
  await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
  await page.getByRole('listbox', { name: 'Restore drills' }).getByRole('option').first().click();
  const drillStep = page.locator('[data-step="secrets"]');
  await expect(drillStep).toHaveAttribute('data-status', 'warn');
  await expect(drillStep).toContainText('holds but is locked');
  await expect(page.getByTestId('secrets-unlocked-since')).toHaveCount(0);
  await drillStep.scrollIntoViewIfNeeded();
  await shot(page, 'k2-drill-secrets-locked');

  // A wrong passphrase on the tab: said on the field, and the key stays locked.
  await openSecretsTab(page, project.name, env.name);
  await passField.fill('not the passphrase');
  await unlock.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(unlock.getByText('That passphrase does not unlock the secrets.')).toBeVisible();
  await expect(unlock.getByTestId('unlock-key-state')).toHaveAttribute('data-key-state', 'wrong');
  await expect(row(page).locator('[data-key-state]')).toHaveAttribute('data-key-state', 'wrong');
  await expect(row(page)).toContainText('locked · wrong passphrase');
  await shot(page, 'k3-secrets-tab-wrong-passphrase');
  // Keys & secrets says the same, live: still locked, a wrong passphrase was tried.
  await nav(page).getByRole('button', { name: 'Keys & secrets' }).click();
  await expect(page.getByTestId('secrets-state')).toHaveText('Locked · wrong passphrase tried');
  await darkShot(page, 'k3d-dark-keys-wrong-passphrase');
  await openSecretsTab(page, project.name, env.name);

  // The right one: the tab is unlocked at once (no reload): the pill, Reveal, no form.
  await passField.fill(PASSPHRASE);
  await unlock.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(unlock).toHaveCount(0);
  await expect(row(page).getByText('set', { exact: true })).toBeVisible();
  await expect(row(page).getByRole('button', { name: `Reveal ${NAME}` })).toBeEnabled();
  await dismissToasts(page);
  await shot(page, 'k4-secrets-tab-unlocked');

  // The Keys & secrets screen and the earlier drill's report follow, still without a reload.
  await nav(page).getByRole('button', { name: 'Keys & secrets' }).click();
  await expect(page.getByTestId('secrets-state')).toHaveText('Unlocked');
  await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
  await page.getByRole('listbox', { name: 'Restore drills' }).getByRole('option').first().click();
  await expect(page.getByTestId('secrets-unlocked-since')).toContainText('run the drill again');
  await drillStep.scrollIntoViewIfNeeded();
  await shot(page, 'k5-drill-secrets-unlocked-since');
  await darkShot(page, 'k5d-dark-drill-secrets-unlocked-since');
  const again = await invokeHttp<DrillReport>(host, 'restores.verify', {
    source: { backupId: backup.id },
  });
  const passed = again.steps.find((s) => s.key === 'secrets')!;
  expect(passed.status, passed.detail).toBe('pass');
  expect(passed.facts?.['keyState']).toBe('unlocked');

  // Locked from elsewhere (the API): the Keys screen says so live.
  await nav(page).getByRole('button', { name: 'Keys & secrets' }).click();
  await expect(page.getByTestId('secrets-state')).toHaveText('Unlocked');
  await invokeHttp(host, 'secrets.lock', {});
  await expect(page.getByTestId('secrets-state')).toHaveText('Locked');

  // The restore wizard: a locked key is unlocked with the passphrase right there.
  await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
  await page.getByRole('button', { name: 'Restore a backup…' }).click();
  const d = page.getByRole('dialog');
  await d.locator(`[data-backup-id="${backup.id}"] input`).check();
  await d.getByRole('button', { name: 'Check this backup' }).click();
  await d.getByRole('button', { name: 'Restore and run the drill' }).click();
  await expect(d.getByTestId('drill-verdict')).toHaveAttribute('data-passed', 'true');
  const rebind = d.getByTestId('secrets-rebind');
  await expect(rebind).toHaveAttribute('data-key-state', 'locked');
  await expect(d.getByTestId('secrets-locked')).toContainText(
    '1 secret reference is locked, not missing',
  );
  await expect(rebind).not.toContainText('re-bound');
  await expect(rebind).not.toContainText('does not have');
  const wizardUnlock = rebind.getByRole('form', { name: 'Unlock secrets' });
  await rebind.scrollIntoViewIfNeeded();
  await shot(page, 'k6-restore-secrets-locked');
  await darkShot(page, 'k6d-dark-restore-secrets-locked');
  await wizardUnlock.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await wizardUnlock.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(d.getByTestId('secrets-resolved')).toContainText('1 of 1 resolve');
  await expect(d.getByRole('button', { name: 'Preview the copy' })).not.toHaveAttribute(
    'aria-disabled',
    'true',
  );
  await shot(page, 'k7-restore-secrets-unlocked');
});
