// Restore from a file the user uploads, in the browser: the restore wizard's
// "Upload a file…" opens the browser's file chooser, the file is sent to the host
// with a progress bar, then the same preflight and drill as any backup, ending on
// a drilled copy. A file that is not a database is refused by its own name, and
// nothing is left in the restores folder. Screens: test-results/screens/78-*.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import type { RestoreCopy } from '../../shared/domain.ts';
import type { Host } from './fixtures.ts';
import { backupNow, expect, invokeHttp, shot, test } from './fixtures.ts';

const dialog = (page: Page) => page.getByRole('dialog');

async function openWizard(page: Page, host: Host): Promise<void> {
  await page.goto(host.url);
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Restore & drills' })
    .click();
  await page.getByRole('button', { name: 'Restore a backup…' }).click();
  await expect(dialog(page).getByRole('heading', { name: 'Restore a backup' })).toBeVisible();
}

/** Choose `file` in the browser's own file chooser, opened by the wizard's upload button. */
async function chooseUpload(page: Page, file: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await dialog(page).getByRole('button', { name: 'Upload a file…' }).click();
  await (await chooser).setFiles(file);
  await expect(dialog(page).getByTestId('restore-file-choice')).toContainText(path.basename(file));
}

test('a backup file uploaded through the file chooser is checked, copied and drilled', async ({
  page,
  host,
}) => {
  for (const name of ['payments', 'search']) await invokeHttp(host, 'projects.create', { name });
  const backup = await backupNow(host);
  // The file as it would come from a USB drive: outside the data dir, under another name.
  const file = test.info().outputPath('from-usb-drive.sqlite');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.copyFileSync(path.join(host.dataDir, 'backups', backup.fileName), file);

  await openWizard(page, host);
  const d = dialog(page);
  await chooseUpload(page, file);
  await shot(page, '78-upload-1-pick');
  // The same step in dark (the theme follows the system) and 1000 px wide.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.setViewportSize({ width: 1000, height: 760 });
  await shot(page, '78d-dark-1000-upload-1-pick');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1360, height: 860 });

  // The upload is slowed down (Chromium's network emulation) so its progress can be seen part way.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const throttle = (uploadThroughput: number) =>
    cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput,
    });
  await throttle(32 * 1024);
  await d.getByRole('button', { name: 'Upload and check this file' }).click();
  await expect(d.getByTestId('upload-progress')).toBeVisible();
  await expect(d.getByTestId('upload-phase')).toHaveText('Uploading from-usb-drive.sqlite');
  await expect(d.getByTestId('upload-percent')).toHaveText(/^[1-9]\d?%$/);
  await expect(d.getByTestId('upload-bytes')).toContainText(/ of \d+ KiB sent/);
  await shot(page, '78-upload-2-progress');
  await throttle(-1);

  // The same preflight as any backup file: under the name it was uploaded with.
  await expect(d.getByTestId('preflight-summary')).toBeVisible();
  await expect(d.getByTestId('preflight-file')).toHaveText('from-usb-drive.sqlite');
  await expect(d.getByTestId('preflight-sha256')).toHaveText(backup.sha256!);
  await shot(page, '78-upload-3-preflight');

  await d.getByRole('button', { name: 'Restore and run the drill' }).click();
  await expect(d.getByRole('heading', { name: 'Restore drill' })).toBeVisible();
  await expect(d.getByTestId('drill-verdict')).toHaveAttribute('data-passed', 'true');
  await shot(page, '78-upload-4-drill');

  const copies = await invokeHttp<RestoreCopy[]>(host, 'restores.list', {});
  expect(copies).toMatchObject([
    { status: 'ready', passed: true, source: { fileName: 'from-usb-drive.sqlite' } },
  ]);
  // Nothing of the upload is left beside the copy.
  expect(fs.readdirSync(path.join(host.dataDir, 'restores'))).toEqual([copies[0]!.id]);
});

test('a file dropped on the wizard that is not a database is refused by its name; nothing is kept', async ({
  page,
  host,
}) => {
  await openWizard(page, host);
  const d = dialog(page);
  // Dropped from the desktop: a 300 KiB file that is no database at all.
  // A string: the node-side typecheck has no DOM types (DataTransfer exists only in the page).
  const dropped = await page.evaluateHandle(`(() => {
    const t = new DataTransfer();
    t.items.add(new File([new Uint8Array(300 * 1024).fill(0xa5)], 'holiday-photo.jpg'));
    return t;
  })()`);
  await d.getByTestId('restore-upload').dispatchEvent('dragover', { dataTransfer: dropped });
  await d.getByTestId('restore-upload').dispatchEvent('drop', { dataTransfer: dropped });
  await expect(d.getByTestId('restore-file-choice')).toContainText('holiday-photo.jpg');
  await d.getByRole('button', { name: 'Upload and check this file' }).click();
  await expect(d.getByTestId('preflight-refused')).toBeVisible();
  await expect(d.getByTestId('preflight-code')).toHaveText('NOT_SQLITE');
  await expect(d.getByTestId('preflight-reason')).toContainText('holiday-photo.jpg');
  await expect(d.getByText('300 KiB')).toBeVisible();
  await shot(page, '78-upload-5-refused');

  expect(await invokeHttp<RestoreCopy[]>(host, 'restores.list', {})).toEqual([]);
  const restores = path.join(host.dataDir, 'restores');
  expect(fs.existsSync(restores) ? fs.readdirSync(restores) : []).toEqual([]);

  // Back to the list, and the wizard offers the upload again.
  await d.getByRole('button', { name: 'Back: choose another backup' }).click();
  await expect(d.getByRole('button', { name: 'Upload a file…' })).toBeVisible();

  // A host that takes less than the file: refused with its message before anything is sent.
  await page.route('**/api/upload/restore', (route) =>
    route.request().method() === 'GET'
      ? route.fulfill({ json: { ok: true, value: { maxBytes: 100 * 1024 } } })
      : route.abort(),
  );
  await d.getByTestId('restore-upload').dispatchEvent('drop', { dataTransfer: dropped });
  await d.getByRole('button', { name: 'Upload and check this file' }).click();
  await expect(d.getByRole('alert')).toContainText(
    'holiday-photo.jpg is 300 KiB; this host accepts files up to 100 KiB. Nothing was sent.',
  );
  await expect(d.getByRole('alert')).toContainText('--max-upload-bytes');
  await shot(page, '78-upload-6-too-large');
});
