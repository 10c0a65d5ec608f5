// Automation seen live in the open browser (issue 13.3, 13.4): a deployment the
// real `stateward` CLI records against the host's data dir (another process)
// appears in the deployments list without a reload, and a pause taken from the
// CLI shows as a banner (who, why) that Resume lifts — for every open page.
import { stateward as run } from '../helpers/cli-bin.ts';
import { expect, invokeHttp, shot, test } from './fixtures.ts';

/** The real `stateward` on the host's data (another process; in team mode its database); its stdout. */
async function stateward(
  host: { dataDir: string },
  databaseUrl: string | null,
  ...args: string[]
): Promise<string> {
  const env = databaseUrl ? { STATEWARD_DATABASE_URL: databaseUrl } : {};
  const r = await run(['--data-dir', host.dataDir, ...args], env);
  if (r.code !== 0) throw new Error(`stateward ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

test('a CLI-recorded deployment and a CLI pause appear in the open page without a reload', async ({
  page,
  host,
  databaseUrl,
}) => {
  const project = await invokeHttp<{ id: number }>(host, 'projects.create', { name: 'shop' });
  await invokeHttp(host, 'environments.create', { projectId: project.id, name: 'prod' });
  await page.goto(host.url);
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'All deployments' })
    .click();
  await expect(page.getByText('No deployments recorded yet')).toBeVisible();
  let reloaded = false;
  page.on('load', () => (reloaded = true));

  const id = (
    await stateward(host, databaseUrl, 'deploy', 'start', 'shop/prod', '--version', '7.7.7-cli')
  ).trim();
  expect(id).toMatch(/^\d+$/);
  await expect(page.getByRole('listbox', { name: 'Deployments' })).toContainText('7.7.7-cli');

  const banner = page.getByTestId('pause-banner');
  await expect(banner).toBeHidden();
  await stateward(host, databaseUrl, 'pause', '--reason', 'upgrade to 3.0');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('Automation is paused');
  await expect(banner).toContainText(/by cli[:@]\S+/);
  await expect(banner).toContainText('upgrade to 3.0');
  await shot(page, '40-automation-paused-banner');
  // The person in the app keeps working while automation is held off.
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(banner).toBeHidden();
  expect(JSON.parse(await stateward(host, databaseUrl, '--json', 'pause-status'))).toMatchObject({
    paused: false,
  });
  expect(reloaded).toBe(false);
});
