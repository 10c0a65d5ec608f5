// Secrets end to end against a real host: set up from an environment's Secrets
// panel (passphrase, recovery key shown once), add a secret, reveal it (audited,
// masked, auto-hidden), a configuration snapshot refused for carrying the value,
// a backup whose restore drill resolves the reference, a host restart that locks
// secrets and an unlock through the UI, and a key rotation. Throughout, the value
// must be nowhere on the page unless it is being revealed.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import type { BackupEntry, DrillReport } from '../../shared/domain.ts';
import {
  cheapScrypt,
  dismissToasts,
  expect,
  formDialog,
  invokeHttp,
  nav,
  shot,
  test,
} from './fixtures.ts';

cheapScrypt();

const PASSPHRASE = 'orbit lantern pebble 42';
const NAME = 'DATABASE_URL';
const VALUE = 'postgres://app:Qx7-s3cr3t-Vm2@db.internal:5432/billing';

const dialog = formDialog;
const panel = (page: Page) => page.getByRole('region', { name: 'Secrets' });
const row = (page: Page) => panel(page).getByRole('row', { name: new RegExp(NAME) });

/** What the page last put on the clipboard (test/ is type-checked without the DOM lib). */
async function clipboard(page: Page): Promise<string> {
  return (await page.evaluate('navigator.clipboard.readText()')) as string;
}

/** Not in the serialized DOM, not in any text on screen, not in any field. */
async function expectNowhere(page: Page, text: string): Promise<void> {
  expect(await page.content()).not.toContain(text);
  expect(await page.locator('body').innerText()).not.toContain(text);
  const fields = await page
    .locator('input, textarea')
    .evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
  expect(fields.join('\n')).not.toContain(text);
}

async function openEnvironment(page: Page): Promise<void> {
  await nav(page).getByRole('button', { name: 'Projects' }).click();
  await page
    .getByRole('listbox', { name: 'Projects' })
    .getByText('billing-api', { exact: true })
    .click();
  await page
    .getByRole('listbox', { name: /Environments of/ })
    .getByText('production', { exact: true })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: /production/ })).toBeVisible();
  // The tab is remembered per browser session; a new host is a new origin.
  await page.getByRole('tab', { name: /Secrets/ }).click();
  await expect(page.getByRole('tab', { name: /Secrets/ })).toHaveAttribute('aria-selected', 'true');
}

/** Stops the host that owns the data dir (its pid is in the lock file) and waits for it. */
async function stopHostOf(dataDir: string): Promise<void> {
  const lock = JSON.parse(fs.readFileSync(path.join(dataDir, 'stateward.lock'), 'utf8')) as {
    pid: number;
  };
  process.kill(lock.pid, 'SIGTERM');
  await expect
    .poll(
      () => {
        try {
          process.kill(lock.pid, 0);
          return 'running';
        } catch {
          return 'stopped';
        }
      },
      { timeout: 10_000 },
    )
    .toBe('stopped');
}

test('secrets: set up, add, reveal, drill, restart and unlock', async ({
  page,
  dataDir,
  startHost,
}) => {
  await page.clock.install();
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  const host = await startHost();
  await page.goto(host.url);
  await page.getByRole('button', { name: 'Load demo data' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible({
    timeout: 30_000,
  });

  await dismissToasts(page);

  // Keys & secrets before setup, as the Electron app on Linux would report it: the
  // only "keychain" is basic_text, which merely obfuscates (the answer is faked).
  await page.route('**/api/invoke/secrets.status', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { ok: boolean; value: Record<string, unknown> };
    body.value['keychain'] = { available: true, weak: true, backend: 'basic_text' };
    await route.fulfill({ response, json: body });
  });
  await nav(page).getByRole('button', { name: 'Keys & secrets' }).click();
  await expect(page.getByTestId('secrets-initialized')).toHaveText('Not yet');
  await expect(page.getByRole('alert')).toContainText('not a real keychain');
  await expect(page.getByRole('alert')).toContainText('basic_text');
  await shot(page, '47w-keys-weak-keychain');
  await page.getByRole('button', { name: 'Set up secrets' }).first().click();
  await expect(dialog(page).getByRole('note')).toContainText('no real keychain');
  await expect(dialog(page).getByLabel('Passphrase', { exact: true })).toBeVisible();
  await shot(page, '41w-secrets-setup-weak-keychain');
  await dialog(page).getByRole('button', { name: 'Cancel' }).click();
  await page.unroute('**/api/invoke/secrets.status');

  // The environment's Secrets tab: not set up yet, with a call to action.
  await openEnvironment(page);
  await expect(panel(page).getByText('Secrets are not set up yet')).toBeVisible();
  await shot(page, '40-secrets-panel-not-set-up');

  // Setup: a passphrase, twice, with a strength hint; each show/hide toggle is its own.
  await panel(page).getByRole('button', { name: 'Set up secrets and add one' }).click();
  const d = dialog(page);
  await expect(d.getByRole('heading', { name: 'Set up secrets' })).toBeVisible();
  await expect(d.getByText('In the browser, a passphrase protects the data key.')).toBeVisible();
  const pass = d.getByLabel('Passphrase', { exact: true });
  const repeat = d.getByLabel('Repeat the passphrase');
  await expect(pass).toBeFocused();
  await pass.fill('short');
  await expect(d.getByTestId('passphrase-strength')).toHaveText(/Too short/);
  await d.getByRole('button', { name: 'Set up secrets' }).click();
  await expect(d.getByText('Use at least 8 characters.')).toBeVisible();
  await pass.fill(PASSPHRASE);
  await expect(d.getByTestId('passphrase-strength')).toHaveText('Strong.');
  await repeat.fill('something else');
  await d.getByRole('button', { name: 'Show passphrase' }).click();
  await expect(pass).toHaveAttribute('type', 'text');
  await expect(repeat).toHaveAttribute('type', 'password');
  await d.getByRole('button', { name: 'Set up secrets' }).click();
  await expect(d.getByText('The two passphrases differ.')).toBeVisible();
  await repeat.fill(PASSPHRASE);
  await d.getByRole('button', { name: 'Hide passphrase' }).click();
  await expect(pass).toHaveAttribute('type', 'password');
  await shot(page, '41-secrets-setup');
  await d.getByRole('button', { name: 'Set up secrets' }).click();

  // The recovery key, once: Copy, Print, and a required confirmation.
  await expect(d.getByRole('heading', { name: 'Store your recovery key' })).toBeVisible();
  const recoveryKey = (await d.getByTestId('recovery-key').textContent())!;
  expect(recoveryKey).toMatch(/^SWRK-[A-Z0-9-]+$/);
  await expect(d.getByText('restore a backup on another machine')).toBeVisible();
  const cont = d.getByRole('button', { name: 'Continue' });
  await expect(cont).toBeDisabled();
  await d.getByRole('button', { name: 'Copy' }).click();
  expect(await clipboard(page)).toBe(recoveryKey);
  await d.getByRole('button', { name: 'Print' }).click();
  await page.keyboard.press('Escape');
  await expect(d.getByText('until then it is shown again')).toBeVisible();
  await expect(d.getByTestId('recovery-key')).toHaveText(recoveryKey);
  await shot(page, '42-secrets-recovery-key');
  await d.getByRole('checkbox', { name: 'I have stored the recovery key somewhere safe' }).check();
  await cont.click();

  // Confirmed: the key is gone from the page and the Add dialog follows.
  await expect(d.getByRole('heading', { name: 'Add a secret to production' })).toBeVisible();
  await expectNowhere(page, recoveryKey);
  await d.getByLabel('Name').fill(NAME);
  const value = d.getByLabel('Value', { exact: true });
  await value.fill(VALUE);
  await expect(value).toHaveAttribute('type', 'password');
  // React never mirrors the typed value into an attribute.
  expect(await page.content()).not.toContain(VALUE);
  await d.getByRole('button', { name: 'Show value' }).click();
  await expect(value).toHaveAttribute('type', 'text');
  await d.getByRole('button', { name: 'Add secret' }).click();
  await expect(d).toBeHidden();

  // The list: name, reference, state — never the value.
  await expect(row(page)).toBeVisible();
  const ref = (await row(page).getByTestId('secret-ref').textContent())!;
  expect(ref).toMatch(/^sec_[0-9a-f]{20}$/);
  await expect(row(page).getByText('set', { exact: true })).toBeVisible();
  await expect(page.getByRole('tab', { name: /Secrets/ })).toContainText('1');
  await expectNowhere(page, VALUE);
  await row(page)
    .getByRole('button', { name: `Copy the reference of ${NAME}` })
    .click();
  expect(await clipboard(page)).toBe(ref);
  await dismissToasts(page);
  await shot(page, '43-secrets-panel');

  // Reveal: masked first (still not in the DOM), then shown; hiding drops it.
  await row(page)
    .getByRole('button', { name: `Reveal ${NAME}` })
    .click();
  const pop = page.getByRole('dialog', { name: `Value of ${NAME}` });
  await expect(pop.getByText('Revealing is recorded in the audit log.')).toBeVisible();
  await expect(pop.getByTestId('secret-masked')).toBeVisible();
  await expectNowhere(page, VALUE);
  await pop.getByRole('button', { name: 'Show' }).click();
  await expect(pop.getByTestId('secret-value')).toHaveText(VALUE);
  await expect(pop).toContainText(/Hides in \d+ s/);
  await pop.getByRole('button', { name: 'Copy' }).click();
  expect(await clipboard(page)).toBe(VALUE);
  await dismissToasts(page);
  await shot(page, '44-secrets-reveal');
  await pop.getByRole('button', { name: 'Hide the value' }).click();
  await expect(pop).toBeHidden();
  await expectNowhere(page, VALUE);

  // Revealed again and left alone: after 30 s it hides itself.
  await row(page)
    .getByRole('button', { name: `Reveal ${NAME}` })
    .click();
  await pop.getByRole('button', { name: 'Show' }).click();
  await expect(pop.getByTestId('secret-value')).toHaveText(VALUE);
  await page.clock.fastForward(31_000);
  await expect(pop).toBeHidden();
  await expectNowhere(page, VALUE);

  // The audit log records both reveals (by name and reference, no value).
  await nav(page).getByRole('button', { name: 'Audit log' }).click();
  await page.getByLabel('Filter by action').fill('secret.revealed');
  const audit = page.getByRole('listbox', { name: 'Audit log' });
  await expect(audit.getByRole('option')).toHaveCount(2);
  await expect(audit.getByRole('option').first()).toContainText(ref);
  await expectNowhere(page, VALUE);

  // A configuration snapshot carrying the value is refused on the JSON field.
  await openEnvironment(page);
  await page.getByRole('button', { name: 'Record deployment' }).first().click();
  const rec = dialog(page);
  await rec.getByLabel('Version').fill('2.0.0');
  const config = rec.getByLabel(/Configuration snapshot/);
  await config.fill(JSON.stringify({ replicas: 2, db: VALUE }));
  await rec.getByRole('button', { name: 'Record deployment' }).click();
  const refused = rec.getByRole('alert');
  await expect(refused).toContainText('contains the value of a secret stored in Stateward');
  await expect(refused).not.toContainText(NAME);
  await expect(config).toHaveAttribute('aria-invalid', 'true');
  await shot(page, '45-secrets-snapshot-refused');
  await config.fill(JSON.stringify({ replicas: 2, db: { $secret: NAME } }));
  await rec.getByRole('button', { name: 'Record deployment' }).click();
  await expect(rec).toBeHidden();
  await expectNowhere(page, VALUE);

  // A backup, and a restore drill of it: the secret's reference resolves here.
  const backup = await invokeHttp<BackupEntry>(host, 'backups.create', {});
  const drill = await invokeHttp<DrillReport>(host, 'restores.verify', {
    source: { backupId: backup.id },
  });
  const step = drill.steps.find((s) => s.key === 'secrets');
  expect(step?.status).toBe('pass');
  expect(step?.facts).toMatchObject({ total: 1, resolved: 1, unresolved: [] });
  expect(JSON.stringify(drill)).not.toContain(VALUE);
  // The same drill in the drill history (when the restore screens are present).
  const restores = nav(page).getByRole('button', { name: 'Restore & drills' });
  if ((await restores.count()) > 0) {
    await restores.click();
    await page
      .getByRole('listbox', { name: 'Restore drills' })
      .getByRole('option')
      .filter({ has: page.locator(`[data-file-name="${backup.fileName}"]`) })
      .first()
      .click();
    const secretsStep = page.locator('[data-step="secrets"]');
    await expect(secretsStep).toHaveAttribute('data-status', 'pass');
    await expect(secretsStep).toContainText('The secret reference resolves');
    await openEnvironment(page);
  }

  // A reload keeps secrets unlocked: the host holds the key in memory.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: /production/ })).toBeVisible();
  await expect(row(page).getByRole('button', { name: `Reveal ${NAME}` })).toBeEnabled();
  await expect(panel(page).getByRole('form', { name: 'Unlock secrets' })).toHaveCount(0);

  // A host restart locks them: the panel and the Keys screen ask for the passphrase.
  await stopHostOf(dataDir);
  const again = await startHost();
  await page.goto(again.url);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await openEnvironment(page);
  await expect(panel(page).getByText('Secrets are locked')).toBeVisible();
  await expect(row(page).getByText('locked', { exact: true })).toBeVisible();
  await expect(row(page).getByRole('button', { name: `Reveal ${NAME}` })).toHaveCount(0);
  await shot(page, '46-secrets-panel-locked');

  await nav(page).getByRole('button', { name: 'Keys & secrets' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Keys & secrets' })).toBeVisible();
  await expect(page.getByTestId('secrets-state')).toHaveText('Locked');
  await expect(page.getByTestId('secrets-providers')).toHaveText('Passphrase');
  await expect(page.getByTestId('secrets-count')).toContainText('1 across all environments');
  await shot(page, '47-keys-locked');
  // A mistyped recovery key is refused on its field.
  await page.getByRole('button', { name: 'Unlock with recovery key' }).last().click();
  const rk = dialog(page);
  await rk.getByLabel('Recovery key', { exact: true }).fill('SWRK-NOT-A-REAL-KEY');
  await rk.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(rk.getByRole('alert')).toContainText('not a valid recovery key');
  await shot(page, '47r-keys-recovery-unlock');
  await rk.getByRole('button', { name: 'Cancel' }).click();
  await expect(rk).toBeHidden();
  const unlock = page.getByRole('form', { name: 'Unlock secrets' });
  await unlock.getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
  await unlock.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(unlock.getByText('That passphrase does not unlock the secrets.')).toBeVisible();
  await unlock.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await unlock.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(page.getByTestId('secrets-state')).toHaveText('Unlocked');
  await expect(unlock).toHaveCount(0);
  const keyId = (await page.getByTestId('secrets-key-id').textContent())!;
  await dismissToasts(page);
  await shot(page, '48-keys-unlocked');
  const toggle = page.getByRole('button', { name: /Change theme/ });
  await toggle.click();
  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await shot(page, '48d-dark-keys-unlocked');

  // Rotation: confirm, then the new recovery key once (the same step as setup).
  await page.getByRole('button', { name: 'Rotate key…' }).click();
  const rot = dialog(page);
  await expect(rot.getByText('needs the old recovery key')).toBeVisible();
  await rot.getByRole('button', { name: 'Rotate key' }).click();
  await expect(rot.getByRole('heading', { name: 'Store the new recovery key' })).toBeVisible();
  await expect(rot.getByText('1 secret was re-encrypted')).toBeVisible();
  const newKey = (await rot.getByTestId('recovery-key').textContent())!;
  expect(newKey).not.toBe(recoveryKey);
  await shot(page, '49d-dark-rotate-recovery-key');
  await rot.getByRole('checkbox', { name: /I have stored the recovery key/ }).check();
  await rot.getByRole('button', { name: 'Continue' }).click();
  await expect(rot).toBeHidden();
  await expect(page.getByTestId('secrets-key-id')).not.toHaveText(keyId);
  await expectNowhere(page, newKey);

  // The panel in the dark theme, unlocked again after the restart.
  await openEnvironment(page);
  await expect(row(page).getByRole('button', { name: `Reveal ${NAME}` })).toBeEnabled();
  await dismissToasts(page);
  await shot(page, '43d-dark-secrets-panel');
  await row(page)
    .getByRole('button', { name: `Reveal ${NAME}` })
    .click();
  await pop.getByRole('button', { name: 'Show' }).click();
  await expect(pop.getByTestId('secret-value')).toHaveText(VALUE);
  await shot(page, '44d-dark-secrets-reveal');
  await page.keyboard.press('Escape');
  await expect(pop).toBeHidden();
  await expect(row(page).getByRole('button', { name: `Reveal ${NAME}` })).toBeFocused();

  // A reference this machine has no key for (as after restoring another machine's
  // backup; the list answer is faked): flagged on the row and explained.
  await page.route('**/api/invoke/secrets.list', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { value: { resolves: boolean; keyState: string }[] };
    for (const e of body.value) {
      e.resolves = false;
      e.keyState = 'missing';
    }
    await route.fulfill({ response, json: body });
  });
  await page.getByRole('tab', { name: 'Deployments' }).click();
  await page.getByRole('tab', { name: /Secrets/ }).click();
  await expect(row(page).getByText('key not on this machine')).toBeVisible();
  await expect(panel(page).getByRole('note')).toContainText('1 secret does not resolve');
  await expect(row(page).getByRole('button', { name: `Reveal ${NAME}` })).toBeDisabled();
  await shot(page, '43u-dark-secrets-panel-unresolved');
  await page.unroute('**/api/invoke/secrets.list');

  // Once more: the value is nowhere on the page, and nor are the recovery keys.
  await expectNowhere(page, VALUE);
  await expectNowhere(page, recoveryKey);
  await expectNowhere(page, newKey);
});
