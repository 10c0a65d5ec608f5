// "Connect to a team database" in a real browser against the real PostgreSQL
// server (STATEWARD_TEST_PG_URL, as .ci/run exports it): on a fresh data dir,
// a schema holding someone else's tables is refused on the Schema field and a
// wrong password on the Password field, with nothing written; then the data
// dir is bound to an empty schema (initialized), the page shows the team
// banner without a restart, and the demo data loaded from there lands in the
// team database: the Dashboard shows the team panel. The browser host has no
// OS keychain, so "remember the password" is not offered.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { withClient } from '../helpers/pg-client.ts';
import { expect, localToTeam, shot, TEAM_PG_URL, test } from './fixtures.ts';

test('connect a fresh data dir to a team database: refusals on their fields, then the team banner and panel without a restart', async ({
  page,
  host,
  databaseUrl,
}) => {
  const { schema, url: u, password } = localToTeam(databaseUrl, 'e2e_conn');
  const foreign = `e2e_foreign_${crypto.randomBytes(5).toString('hex')}`;
  const binding = path.join(host.dataDir, 'database.json');
  await withClient(TEAM_PG_URL!, async (c) => {
    await c.query(`CREATE SCHEMA "${foreign}"`);
    await c.query(`CREATE TABLE "${foreign}".notes (id serial PRIMARY KEY, body text)`);
  });
  try {
    await page.goto(host.url);
    await expect(
      page.getByRole('heading', { level: 1, name: 'Welcome to Stateward' }),
    ).toBeVisible();
    await expect(page.getByTestId('team-banner')).toHaveCount(0);
    await page.getByRole('button', { name: 'Connect to a team database…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Connect to a team database' });
    await expect(dialog).toBeVisible();
    // A browser has no OS keychain: the option is not offered.
    await expect(dialog.getByText('Remember the password in the OS keychain')).toHaveCount(0);
    await dialog.getByLabel('Database URL').fill(u.toString());

    // Someone else's schema: refused on the Schema field.
    await dialog.getByLabel(/^Password/).fill(password);
    await dialog.getByLabel(/^Schema/).fill(foreign);
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await expect(dialog.getByLabel(/^Schema/)).toHaveAttribute('aria-invalid', 'true', {
      timeout: 30_000,
    });
    await expect(dialog.locator('.field-invalid')).toContainText('PG_SCHEMA_FOREIGN');
    await expect(dialog.getByLabel(/^Password/)).not.toHaveAttribute('aria-invalid', 'true');

    // A wrong password: refused on the Password field.
    await dialog.getByLabel(/^Schema/).fill(schema);
    await dialog.getByLabel(/^Password/).fill(`${password}-wrong`);
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await expect(dialog.getByLabel(/^Password/)).toHaveAttribute('aria-invalid', 'true', {
      timeout: 30_000,
    });
    await expect(dialog.locator('.field-invalid')).toContainText('PG_AUTH_FAILED');
    expect(fs.existsSync(binding)).toBe(false);

    await dialog.getByLabel(/^Password/).fill(password);
    await dialog.getByRole('button', { name: 'Connect' }).click();
    const done = page.getByTestId('connect-done');
    await expect(done).toBeVisible({ timeout: 30_000 });
    await expect(done).toContainText(`Schema ${schema} was empty`);
    await expect(page.getByRole('dialog')).toContainText('Connected to the team database');
    // The same page, no reload: the team banner.
    await expect(page.getByTestId('team-banner')).toContainText(schema);
    await shot(page, 'connect-done');
    const bound = JSON.parse(fs.readFileSync(binding, 'utf8')) as Record<string, unknown>;
    expect(bound).toMatchObject({ backend: 'postgres', schema });
    expect(JSON.stringify(bound)).not.toContain(password);

    await page.getByRole('button', { name: 'Open the Dashboard' }).click();
    await expect(page.getByRole('dialog')).toHaveCount(0);
    // The team schema is empty: demo data loaded now goes into it, and the Dashboard has its team panel.
    await page.getByRole('button', { name: 'Load demo data' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible({
      timeout: 30_000,
    });
    await expect(page.getByTestId('team-panel')).toBeVisible();
    await expect(page.getByTestId('db-size')).toContainText('team database (PostgreSQL)');
    const projects = await withClient(TEAM_PG_URL!, (c) =>
      c.query(`SELECT count(*)::int AS n FROM "${schema}".projects`),
    );
    expect((projects.rows[0] as { n: number }).n).toBeGreaterThan(0);
  } finally {
    await withClient(TEAM_PG_URL!, async (c) => {
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.query(`DROP SCHEMA IF EXISTS "${foreign}" CASCADE`);
    });
  }
});
