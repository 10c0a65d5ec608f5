// "Move to a team database" in a real browser against the real PostgreSQL server
// (STATEWARD_TEST_PG_URL, as .ci/run exports it): the dry run shows the per-table
// report and leaves the server and the data dir as they were; a wrong password
// is PG_AUTH_FAILED in the form. The password goes in its own field, never in
// the URL, and is stored nowhere.
import fs from 'node:fs';
import path from 'node:path';
import { withClient } from '../helpers/pg-client.ts';
import { expect, loadDemo, localToTeam, shot, TEAM_PG_URL, test } from './fixtures.ts';

test('the move wizard: connect, dry run with the per-table report; nothing written anywhere', async ({
  page,
  host,
  databaseUrl,
}) => {
  const { schema, url: u, password } = localToTeam(databaseUrl, 'e2e_move');
  u.searchParams.set('schema', schema);
  const schemaExists = () =>
    withClient(TEAM_PG_URL!, async (c) =>
      Boolean((await c.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema])).rowCount),
    );

  try {
    await loadDemo(page, host.url);
    await page.getByRole('button', { name: 'Move to a team database…' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByTestId('move-step')).toHaveAttribute('data-step', 'connect');
    await dialog.getByLabel('Database URL').fill(u.toString());

    // A wrong password: the server's refusal, in words and with its code, in the form.
    await dialog.getByLabel(/^Password/).fill(`${password}-wrong`);
    await dialog.getByRole('button', { name: 'Dry run' }).click();
    await expect(dialog.getByRole('alert')).toContainText('PG_AUTH_FAILED', { timeout: 30_000 });
    await expect(dialog.getByTestId('move-step')).toHaveAttribute('data-step', 'connect');

    await dialog.getByLabel(/^Password/).fill(password);
    await dialog.getByRole('button', { name: 'Dry run' }).click();
    const report = dialog.getByTestId('move-report');
    await expect(report).toBeVisible({ timeout: 30_000 });
    await expect(dialog.getByTestId('move-summary')).toContainText('Dry run passed');
    await expect(dialog.getByTestId('move-summary')).toContainText('Nothing was written');
    // One row per table: the deployments were read and written, and both sides hash alike.
    const deployments = report.locator('tr[data-table="deployments"]');
    await expect(deployments).toBeVisible();
    const [read, written] = await deployments.locator('td.num').allTextContents();
    expect(Number(read!.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(written).toBe(read);
    expect(await report.locator('tbody tr').count()).toBeGreaterThan(10);
    await expect(report.locator('tbody td', { hasText: '≠' })).toHaveCount(0);
    await shot(page, 'move-dry-run');

    // The dry run was rolled back, the data dir is not bound, and no file holds the password.
    expect(await schemaExists()).toBe(false);
    expect(fs.existsSync(path.join(host.dataDir, 'database.json'))).toBe(false);
    for (const rel of fs.readdirSync(host.dataDir, { recursive: true }) as string[]) {
      const f = path.join(host.dataDir, rel);
      if (fs.statSync(f).isFile()) expect(fs.readFileSync(f).includes(password), rel).toBe(false);
    }

    // On to the confirmation: it names what the move will do (and does nothing yet).
    await dialog.getByRole('button', { name: 'Continue to the move…' }).click();
    await expect(dialog.getByTestId('move-step')).toHaveAttribute('data-step', 'confirm');
    await expect(dialog.getByRole('button', { name: 'Move to PostgreSQL now' })).toBeVisible();
    await expect(dialog).toContainText('A pre-move backup of this data directory is taken first');
  } finally {
    await withClient(TEAM_PG_URL!, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  }
});

test('the move wizard executes: pre-move backup, bound, connected: the team banner and dashboard without a restart; a restarted host opens the team database too', async ({
  page,
  host,
  startHost,
  databaseUrl,
}) => {
  const { schema, url: u, password } = localToTeam(databaseUrl, 'e2e_move');
  u.searchParams.set('schema', schema);
  const saved = process.env['PGPASSWORD'];
  try {
    await loadDemo(page, host.url);
    await page.getByRole('button', { name: 'Move to a team database…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Database URL').fill(u.toString());
    await dialog.getByLabel(/^Password/).fill(password);
    await dialog.getByRole('button', { name: 'Dry run' }).click();
    await dialog.getByRole('button', { name: 'Continue to the move…' }).click({ timeout: 30_000 });
    await dialog.getByRole('button', { name: 'Move to PostgreSQL now' }).click();
    await expect(dialog.getByTestId('move-done')).toBeVisible({ timeout: 60_000 });
    await expect(dialog.getByTestId('move-connected')).toContainText(
      'Connected to the team database',
    );
    await expect(dialog.getByTestId('move-restart')).toHaveCount(0);
    await expect(dialog).toContainText('pre-move');
    await shot(page, 'move-done');
    // The same page, no reload: the team banner and the Dashboard's team panel.
    await expect(page.getByTestId('team-banner')).toContainText(schema);
    await dialog.getByRole('button', { name: 'Open the Dashboard' }).click();
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
    await expect(page.getByTestId('team-panel')).toBeVisible();
    await expect(page.getByTestId('db-size')).toContainText('team database (PostgreSQL)');
    const binding = JSON.parse(
      fs.readFileSync(path.join(host.dataDir, 'database.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(binding).toMatchObject({ backend: 'postgres', schema });
    expect(JSON.stringify(binding)).not.toContain(password);

    // Restarted (the password the libpq way), the same data dir opens the team database.
    await host.stop!();
    process.env['PGPASSWORD'] = password;
    const again = await startHost();
    await page.goto(again.url);
    await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
    await expect(page.getByTestId('team-panel')).toBeVisible();
    await expect(page.getByTestId('db-size')).toContainText('team database (PostgreSQL)');
  } finally {
    if (saved === undefined) delete process.env['PGPASSWORD'];
    else process.env['PGPASSWORD'] = saved;
    await withClient(TEAM_PG_URL!, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  }
});
