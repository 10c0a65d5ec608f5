// From an empty data dir, through the UI only: a project, an environment and a
// deployment (with a configuration snapshot); validation errors land on their
// fields; after a reload everything is still listed.
import { expect, invokeHttp, shot, test } from './fixtures.ts';

test('create a project, an environment and a deployment, then reload', async ({ page, host }) => {
  await page.goto(host.url);
  // The token leaves the address bar once read.
  await expect(page.getByRole('heading', { name: 'Welcome to Stateward' })).toBeVisible();
  expect(page.url()).not.toContain('token=');
  await expect(page.getByTestId('header-data-dir')).toHaveText(host.dataDir);

  // First run → Start empty → create a project.
  await page.getByRole('button', { name: 'Create a project' }).click();
  const projectDialog = page.getByRole('dialog', { name: 'New project' });
  await projectDialog.getByLabel('Name').fill('billing-api');
  await projectDialog.getByLabel('Description').fill('Invoices and payment webhooks.');
  await projectDialog.getByRole('button', { name: 'Create project' }).click();
  await expect(projectDialog).toBeHidden();
  await expect(page.getByRole('heading', { level: 1, name: 'billing-api' })).toBeVisible();

  // A second project with the same name: the CONFLICT shows on the name field.
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Projects' })
    .click();
  await page.getByRole('button', { name: 'New project' }).click();
  const again = page.getByRole('dialog', { name: 'New project' });
  await again.getByLabel('Name').fill('billing-api');
  await again.getByRole('button', { name: 'Create project' }).click();
  await expect(again.getByRole('alert')).toContainText('already exists');
  await expect(again.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
  // Escape closes the dialog.
  await page.keyboard.press('Escape');
  await expect(again).toBeHidden();

  // Open the project from the list with the keyboard.
  const list = page.getByRole('listbox', { name: 'Projects' });
  await list.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'billing-api' })).toBeVisible();

  // New environment.
  await page.getByRole('button', { name: 'New environment' }).first().click();
  const envDialog = page.getByRole('dialog', { name: 'New environment' });
  await envDialog.getByLabel('Name').fill('staging');
  await envDialog.getByLabel('Kind').selectOption('staging');
  await envDialog.getByRole('button', { name: 'Create environment' }).click();
  await expect(envDialog).toBeHidden();
  await expect(page.getByRole('heading', { level: 1, name: /staging/ })).toBeVisible();

  // Record a deployment; a bad URL and bad JSON are reported on their fields first.
  await page.getByRole('button', { name: 'Record deployment' }).first().click();
  const rec = page.getByRole('dialog', { name: 'Record deployment' });
  await rec.getByLabel('Version').fill('1.4.2');
  await rec.getByLabel('Status').selectOption('running');
  await rec.getByLabel('Access URL').fill('ftp://nope');
  await rec.getByLabel('Diagnostic summary').fill('Rolling out to 2 replicas.');
  await rec.getByLabel('Configuration snapshot (JSON)').fill('{"replicas": 2,');
  await rec.getByRole('button', { name: 'Record deployment' }).click();
  await expect(rec.getByText(/Not valid JSON/)).toBeVisible();
  await rec
    .getByLabel('Configuration snapshot (JSON)')
    .fill('{"image": "registry.local/billing-api:1.4.2", "replicas": 2}');
  await rec.getByRole('button', { name: 'Record deployment' }).click();
  await expect(rec.getByText(/http\(s\) URL/)).toBeVisible();
  await expect(rec.getByLabel('Access URL')).toHaveAttribute('aria-invalid', 'true');
  await shot(page, '16-record-dialog-field-error');
  await rec.getByLabel('Access URL').fill('https://staging.billing.local');
  await rec.getByRole('button', { name: 'Record deployment' }).click();
  await expect(rec).toBeHidden();

  // The detail panel opens on the new deployment.
  const detail = page.getByRole('complementary', { name: 'Deployment details' });
  await expect(detail.getByText('1.4.2', { exact: true })).toBeVisible();
  await expect(detail.getByText('https://staging.billing.local')).toBeVisible();
  await expect(detail.getByText('"registry.local/billing-api:1.4.2"')).toBeVisible();
  // running → succeeded through an allowed transition.
  await detail.getByRole('button', { name: 'Mark succeeded' }).click();
  await expect(detail.getByText('Succeeded').first()).toBeVisible();
  await expect(detail.getByRole('button', { name: 'Mark rolled back' })).toBeVisible();

  // Reload: the session keeps the token; everything is still there.
  await page.reload();
  await expect(page.getByRole('listbox', { name: 'Deployments' })).toContainText('1.4.2');
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Projects' })
    .click();
  await expect(page.getByRole('listbox', { name: 'Projects' })).toContainText('billing-api');
  // A change made by someone else (the CLI, another window) arrives as a data.changed event.
  await invokeHttp(host, 'projects.create', { name: 'made-elsewhere' });
  await expect(page.getByRole('listbox', { name: 'Projects' })).toContainText('made-elsewhere');
  await page.getByRole('listbox', { name: 'Projects' }).getByText('billing-api').click();
  await expect(page.getByRole('listbox', { name: /Environments of/ })).toContainText('staging');
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'All deployments' })
    .click();
  const all = page.getByRole('listbox', { name: 'Deployments' });
  await expect(all).toContainText('billing-api');
  await expect(all).toContainText('Succeeded');
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Audit log' })
    .click();
  await expect(page.getByRole('listbox', { name: 'Audit log' })).toContainText('project.created');
});
