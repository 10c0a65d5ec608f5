// Secrets in team mode, end to end (the "team" project): the first host sets up
// secrets and stores one; a second host on its own data dir, bound to the same
// database, shows that this machine needs the team's data key and joins with the
// team's recovery key from the Keys & secrets screen. When the first host
// rotates, the second's open page asks again — without a reload, and without
// ever showing the new recovery key or the value.
import {
  cheapScrypt,
  expect,
  formDialog,
  invokeHttp,
  nav,
  shot,
  startExtraHost,
  test,
} from './fixtures.ts';

cheapScrypt();

const NAME = 'DATABASE_URL';
const VALUE = 'postgres://team:Zq4-team-s3cret@db.internal/billing';
const JOIN = "Join with the team's recovery key";

const dialog = formDialog;

test('team secrets: a second host needs the team key, joins with the recovery key, and is asked again after a rotation', async ({
  page,
  host,
  databaseUrl,
}, testInfo) => {
  test.skip(testInfo.project.name !== 'team', 'runs in the team project (PostgreSQL) only');
  const setup = await invokeHttp<{ recoveryKey: string; keyId: string }>(host, 'secrets.setup', {
    passphrase: 'first host passphrase 1',
  });
  const project = await invokeHttp<{ id: number }>(host, 'projects.create', {
    name: 'billing-api',
  });
  const env = await invokeHttp<{ id: number }>(host, 'environments.create', {
    projectId: project.id,
    name: 'production',
    kind: 'production',
  });
  await invokeHttp(host, 'secrets.set', { environmentId: env.id, name: NAME, value: VALUE });

  const other = await startExtraHost(databaseUrl);
  try {
    await page.goto(other.url);
    // The environment's Secrets tab says so too, and offers no way to add or reveal meanwhile.
    await nav(page).getByRole('button', { name: 'Projects' }).click();
    await page
      .getByRole('listbox', { name: 'Projects' })
      .getByText('billing-api', { exact: true })
      .click();
    await page
      .getByRole('listbox', { name: /Environments of/ })
      .getByText('production', { exact: true })
      .click();
    await page.getByRole('tab', { name: /Secrets/ }).click();
    const panel = page.getByRole('region', { name: 'Secrets' });
    await expect(panel.getByTestId('needs-team-key')).toContainText(setup.keyId);
    await expect(panel.getByRole('button', { name: JOIN })).toBeVisible();
    await expect(panel.getByRole('button', { name: /Add secret|Set up secrets/ })).toHaveCount(0);
    await expect(panel.getByRole('button', { name: /Reveal/ })).toHaveCount(0);

    await nav(page).getByRole('button', { name: 'Keys & secrets' }).click();
    const banner = page.getByTestId('needs-team-key');
    await expect(banner).toContainText(setup.keyId);
    await expect(page.getByTestId('secrets-team-key')).toContainText(setup.keyId);
    // A second data key is never offered: this machine joins.
    await expect(page.getByRole('button', { name: 'Set up secrets' })).toHaveCount(0);
    await shot(page, '61-team-secrets-needs-key');

    await banner.getByRole('button', { name: JOIN }).click();
    const d = dialog(page);
    await expect(d.getByRole('heading', { name: JOIN })).toBeVisible();
    await d.getByLabel('Recovery key', { exact: true }).fill(setup.recoveryKey);
    await d.getByLabel('New passphrase', { exact: true }).fill('second host passphrase 2');
    await d.getByLabel('Repeat the new passphrase').fill('second host passphrase 2');
    await d.getByRole('button', { name: 'Join', exact: true }).click();
    await expect(d).toHaveCount(0);
    await expect(banner).toHaveCount(0);
    await expect(page.getByTestId('secrets-state')).toContainText('Unlocked');

    // The first host rotates: the second's open page asks for the new key, no reload.
    const rotated = await invokeHttp<{ recoveryKey: string; keyId: string }>(
      host,
      'secrets.rotate',
      {},
    );
    await expect(banner).toContainText(rotated.keyId, { timeout: 10_000 });
    await expect(banner).toContainText('rotated its data key');
    await expect(page.getByTestId('secrets-state')).toHaveText("Needs the team's new key");
    await expect(page.getByRole('button', { name: 'Rotate key…' })).toBeDisabled();
    await shot(page, '62-team-secrets-rotated');
    const shown = await page.content();
    expect(shown).not.toContain(rotated.recoveryKey);
    expect(shown).not.toContain(VALUE);

    // Entering the new recovery key once resolves it (kept under this machine's passphrase).
    await banner.getByRole('button', { name: JOIN }).click();
    await d.getByLabel('Recovery key', { exact: true }).fill(rotated.recoveryKey);
    await d.getByRole('button', { name: 'Join', exact: true }).click();
    await expect(d).toHaveCount(0);
    await expect(banner).toHaveCount(0);
    const status = await invokeHttp<{ needsTeamKey: unknown; activeKeyId: string }>(
      other,
      'secrets.status',
      {},
    );
    expect(status).toMatchObject({ needsTeamKey: null, activeKeyId: rotated.keyId });
  } finally {
    await other.cleanup();
  }
});
