// Team mode (the "team" project: every host bound to its own PostgreSQL schema):
// two hosts on two data dirs share one database. What one records, the other's
// open page shows without a reload; every screen says which database it is.
import { expect, invokeHttp, shot, startExtraHost, test } from './fixtures.ts';

test('two hosts on one PostgreSQL database show each other’s changes live', async ({
  page,
  browser,
  host,
  databaseUrl,
}, testInfo) => {
  test.skip(testInfo.project.name !== 'team', 'runs in the team project (PostgreSQL) only');
  const other = await startExtraHost(databaseUrl);
  try {
    await invokeHttp(host, 'projects.create', { name: 'shared-api', description: 'first host' });
    await page.goto(host.url);
    await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
    const banner = page.getByTestId('team-banner');
    await expect(banner).toContainText('Team database');
    await expect(banner).toContainText(new URL(databaseUrl!).searchParams.get('schema')!);

    // The second host's page: the project the first host created is there.
    const second = await browser.newPage();
    await second.goto(other.url);
    await second
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button', { name: 'Projects' })
      .click();
    await expect(second.getByRole('listbox', { name: 'Projects' })).toContainText('shared-api');

    // A project recorded through the first host appears on the second's open screen, no reload.
    await invokeHttp(host, 'projects.create', { name: 'payments', description: 'live' });
    await expect(second.getByRole('listbox', { name: 'Projects' })).toContainText('payments', {
      timeout: 5_000,
    });

    // And the other way round, on the first page's Projects screen.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button', { name: 'Projects' })
      .click();
    await invokeHttp(other, 'projects.create', { name: 'from-second', description: '' });
    await expect(page.getByRole('listbox', { name: 'Projects' })).toContainText('from-second', {
      timeout: 5_000,
    });

    // The Dashboard's team panel lists both instances.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button', { name: 'Dashboard' })
      .click();
    const panel = page.getByTestId('team-panel');
    await expect(panel).toBeVisible();
    await expect(page.getByTestId('team-instances').locator('li')).toHaveCount(2);
    await shot(page, '60-team-dashboard');
    await second.close();
  } finally {
    await other.cleanup();
  }
});
