// Backups end to end against a real host: "Back up now" (one click; compact from
// its Options… menu) with one progress figure, the
// Backups page (list, chart, detail, browser download checked by SHA-256), the
// files on disk (owner-only), the Dashboard's safety facts, the schedule &
// retention settings (field errors, off-site warnings, surviving a reload), and
// cancelling a running backup.
//
// The host runs a scheduled catch-up backup at start on a brand-new data dir,
// so assertions count backups by kind instead of assuming an empty list.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import {
  backupNow,
  dismissToasts,
  expect,
  holdResponses,
  invokeHttp,
  loadDemo,
  shot,
  test,
} from './fixtures.ts';

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
const wizard = (page: Page) => page.getByRole('dialog');
const card = (page: Page) => page.getByRole('region', { name: 'Schedule & retention' });
const backupRows = (page: Page) =>
  page.getByRole('listbox', { name: 'Backups' }).getByRole('option');

/** The running backup's percentage as its label, the bar's aria-valuenow and its fill's width say. */
async function labelAndBar(
  page: Page,
): Promise<{ label: number; valuenow: number; width: number }> {
  const run = wizard(page).getByTestId('backup-run');
  const bar = run.getByRole('progressbar');
  return {
    label: Number((await run.getByTestId('backup-percent').textContent())!.replace('%', '')),
    valuenow: Number(await bar.getAttribute('aria-valuenow')),
    width: Number(
      /width:\s*([\d.]+)%/.exec(
        (await bar.locator('.progress-fill').getAttribute('style')) ?? '',
      )?.[1],
    ),
  };
}

async function scrollTop(page: Page): Promise<void> {
  await page.locator('#content').evaluate((el) => el.scrollTo(0, 0));
}

function sha256Of(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

test('Back up now, Backups page, files on disk, download and Dashboard', async ({ page, host }) => {
  await loadDemo(page, host.url);
  const safety = page.getByTestId('safety-panel');
  await expect(safety.getByText('No restore drill yet')).toBeVisible();
  await shot(page, '20-dashboard-before-backup');

  // Hold the create response until the run step has been looked at: the progress
  // events (real ones, from the host) arrive meanwhile, so the step stays on screen.
  const release = await holdResponses(page, 'backups.create');

  // Options… beside "Back up now", by keyboard: a compact backup starts at once.
  const options = safety.getByRole('button', { name: 'Options…' });
  await options.focus();
  await page.keyboard.press('Enter');
  const menu = page.getByRole('menu', { name: 'Backup options' });
  await expect(menu.getByRole('menuitem', { name: /Compact backup/ })).toBeFocused();
  await expect(menu).toContainText('Strips metrics and resource status');
  await expect(menu.getByRole('menuitem', { name: /Back up and download a copy/ })).toBeVisible();
  await shot(page, '21-backup-options');
  await page.keyboard.press('Escape');
  await expect(menu).toBeHidden();
  await expect(options).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');

  // The run: one figure, the stage in words, bytes, the same percentage on the label and the bar.
  const dialog = wizard(page);
  await expect(dialog.getByRole('heading', { name: 'Backing up (compact)…' })).toBeVisible();
  await expect(dialog.getByRole('progressbar')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Cancel backup' })).not.toBeFocused();
  await expect(dialog.getByTestId('backup-percent')).toHaveText('100%');
  await expect(dialog.getByTestId('backup-phase')).toHaveText('Done');
  expect(await labelAndBar(page)).toEqual({ label: 100, valuenow: 100, width: 100 });
  await shot(page, '23-backup-run');
  release();

  // The result: where it is, its size, its verified state; what compact achieved; the manifest.
  await expect(dialog.getByRole('heading', { name: 'Backup complete' })).toBeVisible();
  const line = dialog.getByTestId('backup-result-line');
  await expect(line).toContainText(path.join(host.dataDir, 'backups'));
  await expect(line).toContainText(/\d+(\.\d)? (KiB|MiB)/);
  await expect(line).toContainText('compact');
  await expect(line).toContainText('not verified yet');
  // Smaller than the live database, or why not with both sizes (the small demo has few
  // metrics: the embedded manifest table can outweigh what stripping them freed).
  await expect(dialog.getByTestId('backup-compaction')).toContainText(
    /Compact: .+ instead of .+ \(the live database\), [\d,]+ metrics and status rows stripped|Compact is not smaller.*the compact file is [\d,]+ bytes, the live database [\d,]+ bytes/,
  );
  await dialog.getByText('What the manifest records').click();
  const shaText = dialog.getByTestId('result-sha256');
  await expect(shaText).toHaveText(/^[0-9a-f]{64}$/);
  const sha = (await shaText.textContent())!;
  const fileName = (await dialog.getByTestId('result-file').textContent())!;
  expect(fileName).toMatch(/-manual-[a-z0-9]+\.sqlite$/);
  await expect(dialog.getByTestId('result-mode')).toContainText('Compact');
  await expect(dialog.getByText('quick_check ok')).toBeVisible();
  await expect(dialog.getByTestId('result-rows')).toContainText('deployments400');
  await expect(
    dialog.getByRole('button', { name: 'Verify this backup (restore drill)' }),
  ).toBeVisible();
  await shot(page, '24-backup-result');
  await page.unroute('**/api/invoke/backups.create');
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();

  // On disk: in <datadir>/backups, owner-only, with the hash the manifest states.
  const file = path.join(host.dataDir, 'backups', fileName);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(sha256Of(file)).toBe(sha);

  // The Backups page lists it (manual, compact) and draws it.
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Backups' })).toBeVisible();
  const manual = backupRows(page).filter({ hasText: 'Manual' });
  await expect(manual).toHaveCount(1);
  await expect(manual.first()).toContainText('compact');
  await expect(manual.first()).toContainText('not verified');
  const chart = page.getByTestId('backup-chart');
  await expect(chart.getByRole('img')).toBeVisible();
  await expect(chart.locator('circle.chart-point[data-kind="manual"]')).toHaveCount(1);

  // A second backup from the page header: one click, a full one.
  await page.getByRole('button', { name: 'Back up now' }).click();
  await expect(wizard(page).getByRole('heading', { name: 'Backup complete' })).toBeVisible();
  await expect(wizard(page).getByTestId('backup-result-line')).toContainText('full');
  await expect(wizard(page).getByTestId('backup-compaction')).toHaveCount(0);
  await wizard(page).getByText('What the manifest records').click();
  await expect(wizard(page).getByTestId('result-mode')).toHaveText('Full');
  // "Verify" opens the Verify wizard on that backup, over its detail on the Backups page,
  // which says it is not verified yet.
  await wizard(page).getByRole('button', { name: 'Verify this backup (restore drill)' }).click();
  await expect(wizard(page).getByRole('heading', { name: 'Verify backups' })).toBeVisible();
  await expect(wizard(page).locator('input[type="checkbox"]:checked')).toHaveCount(1);
  await wizard(page).getByRole('button', { name: 'Close' }).first().click();
  await expect(wizard(page)).toBeHidden();
  const detail = page.getByRole('complementary', { name: 'Backup details' });
  await expect(detail.getByTestId('backup-not-verified')).toContainText(
    'no restore drill has restored and opened it yet',
  );
  await expect(detail.getByRole('button', { name: 'Verify this backup' })).toBeVisible();
  await expect(detail.getByTestId('detail-mode')).toHaveText('Full');
  await expect(manual).toHaveCount(2);
  await expect(chart.locator('circle.chart-point[data-kind="manual"]')).toHaveCount(2);
  await detail.scrollIntoViewIfNeeded();
  await shot(page, '25-backups-page-detail');

  // Keyboard: the list moves with the arrows and opens with Enter (newest first).
  const list = page.getByRole('listbox', { name: 'Backups' });
  await list.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(detail.getByTestId('detail-file')).toHaveText(fileName);
  await expect(detail.getByTestId('detail-sha256')).toHaveText(sha);

  // Download in the browser: the bytes are the backup's.
  const downloading = page.waitForEvent('download');
  await detail.getByRole('button', { name: 'Download a copy' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(fileName);
  const saved = test.info().outputPath('download.sqlite');
  await download.saveAs(saved);
  expect(sha256Of(saved)).toBe(sha);

  await page.keyboard.press('Escape');
  await expect(detail).toBeHidden();
  await dismissToasts(page);
  await scrollTop(page);
  await shot(page, '26-backups-page');
  // Options… opens beside the header's Back up now, inside the window.
  await page.getByRole('button', { name: 'Options…' }).first().click();
  const menu2 = page.getByRole('menu', { name: 'Backup options' });
  await expect(menu2).toBeInViewport({ ratio: 1 });
  await shot(page, '26c-backups-page-options');
  await page.keyboard.press('Escape');
  await expect(menu2).toBeHidden();
  await card(page).scrollIntoViewIfNeeded();
  await shot(page, '26b-backups-page-settings');

  // Dashboard: no "no backup" any more; the newest backup is the full manual one.
  await nav(page).getByRole('button', { name: 'Dashboard' }).click();
  await expect(safety.getByTestId('safety-last-backup')).toContainText('Manual · full');
  await expect(safety.getByText('No backups yet')).toHaveCount(0);
  await expect(safety.getByTestId('safety-schedule')).toContainText('Next scheduled backup in');
  await dismissToasts(page);
  await shot(page, '27-dashboard-after-backup');

  // Dark theme: the same screens.
  const toggle = page.getByRole('button', { name: /Change theme/ });
  await toggle.click();
  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await shot(page, '27d-dark-dashboard-after-backup');
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  await expect(chart.getByRole('img')).toBeVisible();
  await shot(page, '26d-dark-backups-page');
  await card(page).scrollIntoViewIfNeeded();
  await shot(page, '26e-dark-backups-page-settings');
  await backupRows(page).first().click();
  await expect(detail).toBeVisible();
  await detail.scrollIntoViewIfNeeded();
  await shot(page, '25d-dark-backups-page-detail');
  // A small window: the detail panel moves below the list, the chart narrows.
  await page.setViewportSize({ width: 1024, height: 680 });
  await scrollTop(page);
  await shot(page, '25e-dark-backups-page-small-window');
  await page.setViewportSize({ width: 1000, height: 680 });
  await scrollTop(page);
  await page.getByRole('button', { name: 'Options…' }).first().click();
  await expect(page.getByRole('menu', { name: 'Backup options' })).toBeInViewport({ ratio: 1 });
  await shot(page, '21e-dark-backup-options-1000px');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Back up now' }).first().click();
  await expect(wizard(page).getByRole('heading', { name: 'Backup complete' })).toBeVisible();
  await shot(page, '24e-dark-backup-result-1000px');
  await wizard(page).getByRole('button', { name: 'Done' }).click();
  await page.setViewportSize({ width: 1360, height: 860 });
  await page.getByRole('button', { name: 'Back up now' }).first().click();
  await expect(wizard(page).getByRole('heading', { name: 'Backup complete' })).toBeVisible();
  await shot(page, '24d-dark-backup-result');
});

test('one click backs up; Enter twice never cancels; one figure on the label and the bar', async ({
  page,
  host,
}) => {
  await loadDemo(page, host.url);
  const creates: string[] = [];
  const cancels: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/invoke/backups.create')) creates.push(r.url());
    if (r.url().includes('/api/invoke/backups.cancel')) cancels.push(r.url());
  });
  // Hold the result so the progress stays on screen while the keys arrive and it is sampled.
  const release = await holdResponses(page, 'backups.create');
  await page.setViewportSize({ width: 1000, height: 680 });
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  const start = page.getByRole('button', { name: 'Back up now' }).first();
  await start.focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  const dialog = wizard(page);
  await expect(dialog.getByTestId('wizard-step')).toHaveAttribute('data-step', 'run');
  const cancel = dialog.getByRole('button', { name: 'Cancel backup' });
  await expect(cancel).toBeVisible();
  await expect(cancel).not.toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog.getByTestId('backup-percent')).toHaveText('100%');
  expect(await labelAndBar(page)).toEqual({ label: 100, valuenow: 100, width: 100 });
  release();
  await expect(dialog.getByRole('heading', { name: 'Backup complete' })).toBeVisible();
  await shot(page, '24g-backup-result-1000px');
  expect(cancels).toEqual([]);
  expect(creates).toHaveLength(1);
  await expect(backupRows(page).filter({ hasText: 'Manual' })).toHaveCount(1);
});

test('the percentage only rises, and the label always shows what the bar shows', async ({
  page,
  host,
}) => {
  // 100,000 deployments: long enough a backup to see it move through its stages.
  await loadDemo(page, host.url, 'large');
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  // Sample the label and the bar together on every change the page makes, from the first
  // (a script string: this file is type-checked without the DOM's types).
  await page.evaluate(`
    window.samples = [];
    new MutationObserver(() => {
      const bar = document.querySelector('[data-testid="backup-run"] [role="progressbar"]');
      const pct = document.querySelector('[data-testid="backup-percent"]');
      const phase = document.querySelector('[data-testid="backup-phase"]');
      if (!bar || !pct) return;
      window.samples.push({
        label: pct.textContent,
        now: bar.getAttribute('aria-valuenow'),
        width: bar.firstElementChild.style.width,
        phase: phase ? phase.textContent : '',
      });
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  `);
  await page.getByRole('button', { name: 'Back up now' }).first().click();
  await expect(wizard(page).getByRole('heading', { name: 'Backup complete' })).toBeVisible();
  const samples = (await page.evaluate('window.samples')) as {
    label: string;
    now: string;
    width: string;
    phase: string;
  }[];
  expect(samples.length).toBeGreaterThan(1);
  let last = 0;
  for (const s of samples) {
    const n = Number(s.label.replace('%', ''));
    expect(s, 'label, aria-valuenow and width agree').toEqual({
      ...s,
      now: String(n),
      width: `${n}%`,
    });
    expect(n, JSON.stringify(s)).toBeGreaterThanOrEqual(last);
    last = n;
  }
  expect(samples.some((s) => s.phase.startsWith('Checking (quick_check) and hashing'))).toBe(true);
});

test('schedule & retention settings, off-site warnings, reload', async ({ page, host }) => {
  await loadDemo(page, host.url);
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  const settings = card(page);
  const sameFs = page.locator('[data-warning="SAME_FILESYSTEM"]');
  await expect(sameFs).toContainText('Every backup is on the same drive');
  const folder = settings.getByLabel('Folder');
  const save = settings.getByRole('button', { name: 'Save settings' });
  await expect(save).toBeDisabled();

  // Local check: an absolute path is needed.
  await folder.fill('relative/backups');
  await save.click();
  await expect(folder).toHaveAttribute('aria-invalid', 'true');
  await expect(settings.getByText('Enter an absolute path')).toBeVisible();

  // A folder on a drive that is not there is refused with the reason (was: saved, and every
  // backup then "not copied"); nothing is created.
  await folder.fill('/nonexistent/usb/stateward');
  await save.click();
  await expect(
    settings.getByText('Stateward creates only the last folder of the path'),
  ).toBeVisible();
  await expect(folder).toHaveAttribute('aria-invalid', 'true');
  expect(fs.existsSync('/nonexistent')).toBe(false);

  // The backend refuses a folder inside the data directory; the error lands on the field.
  await folder.fill(path.join(host.dataDir, 'backups', 'elsewhere'));
  await save.click();
  await expect(settings.getByText('must be outside the data directory')).toBeVisible();
  await expect(folder).toHaveAttribute('aria-invalid', 'true');

  // The backend's range check on retention lands on its field.
  await folder.fill('');
  const keepLast = settings.getByLabel('Keep last');
  await keepLast.fill('0');
  await save.click();
  await expect(keepLast).toHaveAttribute('aria-invalid', 'true');
  await shot(page, '28-backup-settings-errors');

  // A folder on the same drive: saved, but the warning now says so.
  const offsite = fs.mkdtempSync(path.join(os.tmpdir(), 'stateward-offsite-'));
  try {
    await keepLast.fill('3');
    await folder.fill(offsite);
    await settings.getByLabel('Interval').selectOption({ label: 'Weekly' });
    await settings.getByRole('checkbox', { name: /Only if something changed/ }).uncheck();
    await save.click();
    await expect(page.getByText('Backup settings saved')).toBeVisible();
    // What the save proved about the folder, in the toast.
    await expect(
      page.getByText('wrote, synced, read back and removed a test file there'),
    ).toContainText('It is on the same drive as the data directory');
    expect(fs.readdirSync(offsite), 'the probe file is gone').toEqual([]);
    await expect(sameFs).toContainText('The off-site folder is on the same drive');
    await expect(save).toBeDisabled();

    // A backup taken elsewhere (through the API) shows up through the events, copied off-site.
    await invokeHttp(host, 'backups.create', { compact: false });
    await expect(backupRows(page).filter({ hasText: 'Manual' })).toHaveCount(1);
    await expect(backupRows(page).filter({ hasText: 'Manual' })).toContainText('off-site copy');
    expect(fs.readdirSync(offsite).filter((n) => n.endsWith('.sqlite'))).toHaveLength(1);
    await shot(page, '29-backup-settings-saved');

    // Settings survive a reload.
    await page.reload();
    await expect(settings.getByLabel('Interval')).toHaveValue(String(7 * 24 * 60));
    await expect(settings.getByLabel('Keep last')).toHaveValue('3');
    await expect(settings.getByLabel('Folder')).toHaveValue(offsite);
    await expect(
      settings.getByRole('checkbox', { name: /Only if something changed/ }),
    ).not.toBeChecked();
    await expect(page.getByTestId('backup-summary')).toContainText('weekly');

    // The off-site folder turns into a file: the next backup is kept, but its off-site
    // copy fails; the failure event raises a toast and the overview warns.
    fs.rmSync(offsite, { recursive: true, force: true });
    fs.writeFileSync(offsite, 'not a folder');
    await invokeHttp(host, 'backups.create', { compact: false });
    const toast = page.getByRole('alert').filter({ hasText: 'The off-site copy failed' });
    await expect(toast).toContainText('OFFSITE_COPY_FAILED');
    await expect(page.locator('[data-warning="OFFSITE_COPY_FAILED"]')).toContainText(
      'The last off-site copy failed',
    );
    await expect(backupRows(page).filter({ hasText: 'Manual' })).toHaveCount(2);
    await scrollTop(page);
    await shot(page, '29b-backup-offsite-failed');
    await toast.getByRole('button', { name: 'Dismiss notification' }).click();

    // A folder on another file system (tmpfs, where there is one): the warning goes away.
    const shm = '/dev/shm';
    if (fs.existsSync(shm) && fs.statSync(shm).dev !== fs.statSync(host.dataDir).dev) {
      const other = fs.mkdtempSync(path.join(shm, 'stateward-offsite-'));
      try {
        await settings.getByLabel('Folder').fill(other);
        await settings.getByRole('button', { name: 'Save settings' }).click();
        await expect(settings.getByRole('button', { name: 'Save settings' })).toBeDisabled();
        await expect(sameFs).toHaveCount(0);
      } finally {
        fs.rmSync(other, { recursive: true, force: true });
      }
    }

    // Clearing the folder brings the original warning back.
    await settings.getByLabel('Folder').fill('');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await expect(sameFs).toContainText('Every backup is on the same drive');
  } finally {
    fs.rmSync(offsite, { recursive: true, force: true });
  }
});

test('an overdue backup is impossible to miss on the Dashboard', async ({ page, host }) => {
  // Overdue needs a day without backups; the overview is given that state here to
  // check how the Dashboard shows it (the rules themselves are unit-tested).
  await page.route('**/api/invoke/backups.overview', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as {
      ok: true;
      value: {
        warnings: { code: string; message: string }[];
        lastBackup: { createdAt: number } | null;
      };
    };
    // The Dashboard may ask before the demo (and its first backup) exists: that
    // answer is passed on as it is.
    if (!body.value.lastBackup) return route.fulfill({ response, json: body });
    body.value.lastBackup.createdAt -= 3 * 24 * 3600_000;
    body.value.warnings.unshift({
      code: 'BACKUP_OVERDUE',
      message: 'The newest backup is older than the schedule allows (every 1 day(s)).',
    });
    await route.fulfill({ response, json: body });
  });
  await loadDemo(page, host.url);
  // A backup of its own: the scheduled one may be postponed while the demo is written.
  await backupNow(host);
  const overdue = page.getByTestId('safety-panel').locator('[data-warning="BACKUP_OVERDUE"]');
  await expect(overdue).toHaveAttribute('role', 'alert');
  await expect(overdue).toContainText('Backup overdue');
  await expect(overdue).toBeInViewport();
  await expect(page.getByTestId('safety-last-backup')).toContainText('3 d ago');
  await dismissToasts(page);
  await shot(page, '27c-dashboard-overdue');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, '27e-dark-dashboard-overdue');
});

test('cancelling a running backup keeps nothing', async ({ page, host }) => {
  // 100,000 deployments (~30 MB): a compact backup takes a few hundred ms, long
  // enough for the cancel to land while the snapshot is being taken.
  await loadDemo(page, host.url, 'large');
  const before = fs.readdirSync(path.join(host.dataDir, 'backups'));

  // Hold the create request until Cancel was pressed, so the cancel is certain to
  // race a backup that has not finished: the wizard re-sends it on the first progress.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/invoke/backups.create', async (route) => {
    await held;
    await route.continue();
  });
  await page.getByTestId('safety-panel').getByRole('button', { name: 'Options…' }).click();
  await page.getByRole('menuitem', { name: /Compact backup/ }).click();
  const dialog = wizard(page);
  await expect(dialog.getByRole('heading', { name: 'Backing up (compact)…' })).toBeVisible();
  // Nothing reported yet: 0 on the label and the bar, no figure made up.
  await expect(dialog.getByTestId('backup-phase')).toHaveText('Starting…');
  expect(await labelAndBar(page)).toEqual({ label: 0, valuenow: 0, width: 0 });
  await shot(page, '23b-backup-run-starting');
  await dialog.getByRole('button', { name: 'Cancel backup' }).click();
  await expect(dialog.getByRole('button', { name: 'Cancelling…' })).toBeDisabled();
  release();
  await expect(dialog.getByTestId('backup-cancelled')).toHaveText('Cancelled — nothing was kept');
  await shot(page, '24c-wizard-4-cancelled');
  // Nothing new in the backups folder, not even a temporary.
  expect(fs.readdirSync(path.join(host.dataDir, 'backups')).sort()).toEqual(before.sort());

  // Start over while another backup runs: the wizard shows the error's code, message and hint.
  await page.unroute('**/api/invoke/backups.create');
  const running: { other?: Promise<{ kind: string; compact: boolean }> } = {};
  await page.route('**/api/invoke/backups.create', async (route) => {
    running.other = invokeHttp(host, 'backups.create', { compact: true });
    // Forward the wizard's request only once the other backup has reserved its temporary file.
    const dir = path.join(host.dataDir, 'backups');
    await expect
      .poll(() => fs.readdirSync(dir).some((n) => n.startsWith('.stateward-tmp-')), {
        intervals: [5],
      })
      .toBe(true);
    await route.continue();
  });
  await dialog.getByRole('button', { name: 'Try the compact backup again' }).click();
  await expect(dialog.getByRole('heading', { name: 'Backup failed' })).toBeVisible();
  const error = dialog.getByRole('alert');
  await expect(error).toContainText('already running');
  await expect(error).toContainText('Wait for it to finish');
  await expect(error).toContainText('BACKUP_IN_PROGRESS');
  await shot(page, '24f-wizard-4-failed');
  await dialog.getByRole('button', { name: 'Close' }).first().click();
  await expect(dialog).toBeHidden();
  // The backup that was running is unaffected.
  expect(await running.other).toMatchObject({ kind: 'manual', compact: true });
});
