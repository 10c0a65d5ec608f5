// Restore to a copy, verify and promote, end to end against a real host: the
// whole click-through restore drill (pick → preflight → progress → drill report
// and export → preview of the copy with the same screens, under the banner →
// comparison → promote), the Verify wizard on two backups with the drill
// history and the Backups page's verified state, a corrupted backup refused at
// preflight, and the rollback path from the refusal screen after a "downgrade".
// Every wizard step is saved under test-results/screens/ (light; the banner and
// the comparison in dark too).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import type { Page } from '@playwright/test';
import type { BackupEntry, Page as ListPage, Project } from '../../shared/domain.ts';
import type { Host } from './fixtures.ts';
import {
  backupNow,
  compareCopyOf,
  dismissToasts,
  expect,
  invokeHttp,
  setTheme,
  shot,
  test,
} from './fixtures.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
const dialog = (page: Page) => page.getByRole('dialog');
const banner = (page: Page) => page.getByTestId('preview-banner');

async function projectNames(host: Host): Promise<string[]> {
  const page = await invokeHttp<ListPage<Project>>(host, 'projects.list', { limit: 500 });
  return page.items.map((p) => p.name).sort();
}

/** The drill history's row of a backup's drill (the row names it in words; its id is an attribute). */
const drillRow = (page: Page, b: BackupEntry) =>
  page
    .getByRole('listbox', { name: 'Restore drills' })
    .getByRole('option')
    .filter({ has: page.locator(`[data-backup-id="${b.id}"]`) });

/** Holds a command's request until released (before it reaches the host, and/or after). */
function hold() {
  let releaseBefore!: () => void;
  let releaseAfter!: () => void;
  const before = new Promise<void>((r) => (releaseBefore = r));
  const after = new Promise<void>((r) => (releaseAfter = r));
  return { before, after, releaseBefore, releaseAfter };
}

test('the click-through restore drill: preflight, drill, export, preview, compare, promote', async ({
  page,
  host,
}) => {
  await invokeHttp(host, 'demo.seed', {});
  const backup = await backupNow(host);
  const inBackup = await projectNames(host);
  await invokeHttp(host, 'projects.create', { name: 'made-after-the-backup' });
  expect(await projectNames(host)).toContain('made-after-the-backup');

  await page.goto(host.url);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  const safety = page.getByTestId('safety-panel');
  await expect(safety.locator('[data-warning="NO_DRILL"]')).toContainText('No restore drill yet');

  // Step 1: pick the backup (by keyboard the radios move with the arrows).
  await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Restore & drills' })).toBeVisible();
  await page.getByRole('button', { name: 'Restore a backup…' }).click();
  const d = dialog(page);
  await expect(d.getByRole('heading', { name: 'Restore a backup' })).toBeVisible();
  const row = d.locator(`[data-backup-id="${backup.id}"]`);
  await expect(row).toContainText('Manual');
  await expect(row).toContainText(`schema ${backup.schemaVersion}`);
  await row.locator('input').check();
  await expect(row.locator('input')).toBeFocused();
  await expect(d.locator('[aria-current="step"]')).toHaveText(/Backup/);
  await shot(page, '70-restore-1-pick');

  // Step 2: the preflight summary (the copy is staged).
  await d.getByRole('button', { name: 'Check this backup' }).press('Enter');
  const summary = d.getByTestId('preflight-summary');
  await expect(summary).toBeVisible();
  await expect(d.getByTestId('preflight-file')).toHaveText(backup.fileName);
  await expect(d.getByTestId('preflight-hash')).toContainText('matches the manifest');
  await expect(d.getByTestId('preflight-sha256')).toHaveText(backup.sha256!);
  await expect(d.getByTestId('preflight-migration')).toContainText(
    `Schema ${backup.schemaVersion}`,
  );
  await shot(page, '71-restore-2-preflight');

  // Step 3: the drill runs with the host's progress (held so the step can be looked at).
  const drillHold = hold();
  await page.route('**/api/invoke/restores.drill', async (route) => {
    await drillHold.before;
    const response = await route.fetch();
    await drillHold.after;
    await route.fulfill({ response });
  });
  await d.getByRole('button', { name: 'Restore and run the drill' }).click();
  await expect(d.getByRole('heading', { name: 'Restoring into a copy…' })).toBeVisible();
  await expect(d.getByTestId('restore-phase')).toContainText('Step 3 of 8');
  await expect(d.getByTestId('restore-bytes')).toContainText('Copy done');
  await shot(page, '72-restore-3-progress');
  drillHold.releaseBefore();
  await expect(d.getByTestId('restore-percent')).toHaveText('100%');
  await expect(d.locator('.drill-step[data-status="pass"]')).toHaveCount(8);
  drillHold.releaseAfter();

  // Step 4: the drill result, every step passed, exported as Markdown.
  await expect(d.getByRole('heading', { name: 'Restore drill' })).toBeVisible();
  await expect(d.getByTestId('drill-verdict')).toHaveAttribute('data-passed', 'true');
  await page.unroute('**/api/invoke/restores.drill');
  await expect(d.locator('.drill-step[data-status="pass"]')).toHaveCount(8);
  await expect(d.locator('.drill-step[data-step="probes"]')).toContainText(
    `${inBackup.length} projects`,
  );
  // The real app booted on the copy: each request a row with its HTTP status.
  const booted = d.locator('.drill-step[data-step="host"]');
  await expect(booted.locator('tr[data-probe="Ready"] [data-testid="probe-http"]')).toHaveText(
    '200',
  );
  await expect(booted.locator('tr[data-probe="Projects"]')).toContainText(
    `${inBackup.length} projects (as the manifest says)`,
  );
  await shot(page, '73-restore-4-drill');
  const downloading = page.waitForEvent('download');
  await d.getByRole('button', { name: 'Export Markdown' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^stateward-drill-[0-9a-f]{16}\.md$/);
  const saved = test.info().outputPath('drill.md');
  await download.saveAs(saved);
  const markdown = fs.readFileSync(saved, 'utf8');
  expect(markdown).toContain('PASSED');
  expect(markdown).toContain(backup.fileName);

  // Step 5: the preview — the same screens, reading the copy, under the banner.
  await d.getByRole('button', { name: 'Preview the copy' }).click();
  await expect(d).toBeHidden();
  await expect(banner(page)).toContainText('Restored copy — read-only');
  await expect(banner(page)).toContainText(backup.fileName);
  const projects = page.getByRole('listbox', { name: 'Projects' });
  await expect(projects.getByRole('option')).toHaveCount(inBackup.length);
  await expect(projects).not.toContainText('made-after-the-backup');
  await expect(page.getByRole('button', { name: 'New project' })).toHaveCount(0);
  await dismissToasts(page);
  await shot(page, '74-preview-projects');

  await projects.getByRole('option').first().click();
  await expect(page.getByRole('button', { name: 'Edit project' })).toHaveCount(0);
  await page
    .getByRole('listbox', { name: /Environments of/ })
    .getByRole('option')
    .first()
    .click();
  const deployments = page.getByRole('listbox', { name: 'Deployments' });
  await expect(deployments.getByRole('option').first()).toContainText(/\d+\.\d+\.\d+/);
  await expect(page.getByRole('button', { name: 'Record deployment' })).toHaveCount(0);
  await deployments.getByRole('option').first().click();
  const detail = page.getByRole('complementary', { name: 'Deployment details' });
  await expect(detail.getByText('Read-only: this is the restored copy')).toBeVisible();
  await expect(detail.getByRole('heading', { name: 'Configuration snapshot' })).toBeVisible();
  await expect(banner(page)).toBeVisible();
  await shot(page, '75-preview-deployment');

  await nav(page).getByRole('button', { name: 'All deployments' }).click();
  await expect(page.getByRole('listbox', { name: 'Deployments' })).toBeVisible();
  await expect(banner(page)).toBeVisible();

  // The comparison: the live project created after the backup shows as a difference.
  await nav(page).getByRole('button', { name: 'Compare with live' }).click();
  const projectsRow = page.getByTestId('compare-table').locator('tr[data-table="projects"]');
  await expect(projectsRow).toHaveClass(/compare-diff/);
  await expect(projectsRow.locator('td').nth(0)).toHaveText(String(inBackup.length + 1));
  await expect(projectsRow.locator('td').nth(1)).toHaveText(String(inBackup.length));
  await expect(projectsRow).toContainText('1 fewer in the copy');
  await shot(page, '76-preview-compare');
  await setTheme(page, 'dark');
  await shot(page, '76d-dark-preview-compare');
  await nav(page).getByRole('button', { name: 'Projects' }).click();
  await expect(projects.getByRole('option')).toHaveCount(inBackup.length);
  await shot(page, '74d-dark-preview-banner');
  await setTheme(page, 'light');

  // Step 6: promote, with a confirmation that says what happens.
  await banner(page).getByRole('button', { name: 'Promote…' }).click();
  await expect(d.getByRole('heading', { name: 'Make the restored copy live?' })).toBeVisible();
  const confirm = d.getByTestId('promote-confirm');
  await expect(confirm).toContainText('A pre-restore backup of the current live data is taken');
  await expect(confirm).toContainText('The copy becomes live');
  // The backup is named in words; its file name is only in the tooltip.
  await expect(confirm).toContainText('The copy of Manual backup of');
  expect(await confirm.innerText()).not.toContain('.sqlite');
  await expect(d.getByTestId('promote-diff')).toContainText(
    `Projects: ${inBackup.length + 1} now → ${inBackup.length}`,
  );
  await expect(d.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await shot(page, '77-restore-6-promote');
  await d.getByRole('button', { name: 'Promote: make this copy live' }).click();
  await expect(d.getByTestId('promote-done')).toContainText('pre-restore backup');
  await shot(page, '78-restore-7-done');
  await d.getByRole('button', { name: 'Done' }).click();
  await expect(d).toBeHidden();
  await expect(banner(page)).toHaveCount(0);

  // Live is the backup's data now; a pre-restore backup is listed; the Dashboard knows the drill.
  expect(await projectNames(host)).toEqual(inBackup);
  await nav(page).getByRole('button', { name: 'Projects' }).click();
  await expect(projects.getByRole('option')).toHaveCount(inBackup.length);
  await expect(projects).not.toContainText('made-after-the-backup');
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  const backupRows = page.getByRole('listbox', { name: 'Backups' }).getByRole('option');
  await expect(backupRows.filter({ hasText: 'Pre-restore' })).toHaveCount(1);
  await expect(backupRows.filter({ hasText: 'Manual' })).toContainText('verified');
  await nav(page).getByRole('button', { name: 'Dashboard' }).click();
  await expect(safety.getByTestId('safety-last-drill')).toContainText(
    'Last successful restore drill',
  );
  // Named by kind and time; the file name is one hover away.
  await expect(safety.getByTestId('safety-last-drill')).toContainText('Manual backup of');
  await expect(safety.getByTestId('safety-last-drill')).not.toContainText('.sqlite');
  await expect(safety.getByRole('button', { name: /^Manual backup of/ })).toHaveAttribute(
    'title',
    `Open the drill report (${backup.fileName})`,
  );
  await expect(safety.locator('[data-warning="NO_DRILL"]')).toHaveCount(0);
  await dismissToasts(page);
  await shot(page, '79-dashboard-after-drill');
});

test('Verify wizard on two backups, drill history and verified backups', async ({ page, host }) => {
  await invokeHttp(host, 'demo.seed', {});
  const full = await backupNow(host);
  const compact = await backupNow(host, true);

  await page.goto(host.url);
  await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
  await page.getByRole('button', { name: 'Verify backups…' }).click();
  const d = dialog(page);
  await expect(d.getByRole('heading', { name: 'Verify backups' })).toBeVisible();
  for (const b of [full, compact]) await d.locator(`[data-backup-id="${b.id}"] input`).check();
  await expect(d.getByRole('button', { name: 'Run 2 restore drills' })).toBeVisible();
  await shot(page, '80-verify-1-pick');

  // Hold the first drill before it reaches the host, to look at the run step.
  const first = hold();
  let calls = 0;
  await page.route('**/api/invoke/restores.verify', async (route) => {
    if (calls++ === 0) await first.before;
    await route.continue();
  });
  await d.getByRole('button', { name: 'Run 2 restore drills' }).click();
  await expect(d.getByRole('heading', { name: 'Running restore drills…' })).toBeVisible();
  await expect(d.getByTestId('verify-count')).toHaveText('0 of 2 backups drilled');
  await shot(page, '81-verify-2-run');
  first.releaseBefore();

  // Two whole drills, each booting the app on its copy: longer than one expect's default wait.
  await expect(d.getByRole('heading', { name: 'Drill reports' })).toBeVisible({ timeout: 45_000 });
  await page.unroute('**/api/invoke/restores.verify');
  await expect(d.getByTestId('verify-summary')).toHaveText(
    'All 2 backups passed their restore drills.',
  );
  const reports = d.getByTestId('verify-report');
  await expect(reports).toHaveCount(2);
  for (const b of [full, compact]) {
    const report = d.locator(`[data-testid="verify-report"][data-backup-id="${b.id}"]`);
    await expect(report.getByTestId('drill-verdict')).toHaveAttribute('data-passed', 'true');
  }
  await reports.first().getByText('Steps (8)').click();
  await expect(reports.first().locator('.drill-step[data-status="pass"]')).toHaveCount(8);
  await shot(page, '82-verify-3-reports');
  await d.getByRole('button', { name: 'Done' }).click();
  await expect(d).toBeHidden();

  // The drill history lists both by kind, time, size and mode (the file name in the row's
  // tooltip, and on the report); any report opens.
  const history = page.getByRole('listbox', { name: 'Restore drills' });
  await expect(history.getByRole('option')).toHaveCount(2);
  await expect(history.getByRole('option').filter({ hasText: 'passed' })).toHaveCount(2);
  await expect(drillRow(page, full)).toContainText(/Manual backup of .+full/);
  await expect(drillRow(page, compact)).toContainText(/Manual backup of .+compact/);
  await expect(history).not.toContainText('.sqlite', { useInnerText: true });
  await dismissToasts(page);
  await shot(page, '83-drill-history');
  await drillRow(page, full).click();
  await expect(page.getByRole('heading', { level: 1, name: /Restore drill/ })).toBeVisible();
  await expect(page.getByTestId('drill-verdict')).toHaveAttribute('data-passed', 'true');
  await expect(page.locator('.drill-step[data-status="pass"]')).toHaveCount(8);
  await shot(page, '83b-drill-report');

  // The Backups page shows both as verified; "Verify this backup" opens the wizard preselected.
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  const manual = page
    .getByRole('listbox', { name: 'Backups' })
    .getByRole('option')
    .filter({ hasText: 'Manual' });
  await expect(manual).toHaveCount(2);
  for (let i = 0; i < 2; i++) await expect(manual.nth(i)).toContainText('verified');
  await manual.first().click();
  const panel = page.getByRole('complementary', { name: 'Backup details' });
  await expect(panel.getByText(/^Verified /)).toBeVisible();
  await panel.getByRole('button', { name: 'Verify this backup' }).click();
  await expect(d.getByRole('heading', { name: 'Verify backups' })).toBeVisible();
  await expect(d.locator('input[type="checkbox"]:checked')).toHaveCount(1);
  await expect(d.getByRole('button', { name: 'Run the restore drill' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(d).toBeHidden();
  await dismissToasts(page);
  await shot(page, '84-backups-verified');
});

test('Restore & drills names copies and drills in words; the file and ids one click away', async ({
  page,
  host,
}) => {
  await invokeHttp(host, 'demo.seed', { projects: 2, deployments: 10 });
  const full = await backupNow(host);
  const compact = await backupNow(host, true);
  const restoreOf = async (b: BackupEntry): Promise<string> => {
    const staged = await invokeHttp<{ restoreId: string }>(host, 'restores.preflight', {
      source: { backupId: b.id },
    });
    await invokeHttp(host, 'restores.drill', { restoreId: staged.restoreId });
    return staged.restoreId;
  };
  // The full backup twice (copies that differ only in when they were restored, a second
  // apart at least) and the compact one.
  const first = await restoreOf(full);
  const second = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === second) await new Promise((r) => setTimeout(r, 50));
  const ids = [first, await restoreOf(full), await restoreOf(compact)];

  await page.setViewportSize({ width: 1000, height: 900 });
  await page.goto(host.url);
  await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
  const copyRow = (id: string) => page.locator(`.copy-row[data-restore-id="${id}"]`);
  const copyRows = page.locator('.copy-list .copy-row');
  await expect(copyRows).toHaveCount(3);
  for (const id of ids) {
    await expect(copyRow(id).getByTestId('copy-title')).toHaveText(/^Manual backup of /);
    await expect(copyRow(id).getByTestId('copy-state')).toHaveText('ready');
  }
  await expect(copyRow(ids[0]!)).toContainText(/\d+(\.\d)? KiB · full · schema/);
  await expect(copyRow(ids[2]!)).toContainText(/\d+(\.\d)? KiB · compact · schema/);
  const history = page.getByRole('listbox', { name: 'Restore drills' });
  await expect(history.getByRole('option')).toHaveCount(3);
  await expect(drillRow(page, compact)).toContainText(/Manual backup of .+compact/);

  // No two rows read alike, in either list.
  const visible = (l: typeof copyRows) => l.evaluateAll((els) => els.map((e) => e.innerText));
  expect(new Set(await visible(copyRows)).size).toBe(3);
  expect(new Set(await visible(history.getByRole('option'))).size).toBe(3);
  // No file name in the visible text of the lists: it is in a tooltip and behind a disclosure.
  for (const list of [page.locator('.copy-list'), history])
    await expect(list).not.toContainText('.sqlite', { useInnerText: true });
  await expect(drillRow(page, full).first().locator('[data-file-name]')).toHaveAttribute(
    'title',
    new RegExp(full.fileName.replaceAll('.', '\\.')),
  );
  await expect(copyRow(ids[0]!).getByTestId('copy-title')).toHaveAttribute('title', full.fileName);
  await copyRow(ids[0]!).getByText('File and ids').click();
  await expect(copyRow(ids[0]!).locator('.copy-ids')).toContainText(full.fileName);
  await expect(copyRow(ids[0]!).locator('.copy-ids')).toContainText(ids[0]!);
  await expect(copyRow(ids[0]!).locator('.copy-ids')).toContainText(full.id);
  await dismissToasts(page);
  for (const theme of ['light', 'dark'] as const) {
    await setTheme(page, theme);
    await shot(page, `83c-restores-named-1000-${theme}`);
    await history.scrollIntoViewIfNeeded();
    await shot(page, `83d-drill-history-named-1000-${theme}`);
    await page.evaluate('window.scrollTo(0, 0)');
  }
});

test('a corrupted backup is refused at preflight with the reason', async ({ page, host }) => {
  await invokeHttp(host, 'demo.seed', {});
  const backup = await backupNow(host);
  // Flip bytes in the middle of the file, keeping its sidecar manifest.
  const file = path.join(host.dataDir, 'backups', backup.fileName);
  const bytes = fs.readFileSync(file);
  const mid = Math.floor(bytes.length / 2);
  for (let i = mid; i < mid + 16; i++) bytes[i] = bytes[i]! ^ 0xff;
  fs.writeFileSync(file, bytes);

  await page.goto(host.url);
  await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
  await page.getByRole('button', { name: 'Restore a backup…' }).click();
  const d = dialog(page);
  await d.locator(`[data-backup-id="${backup.id}"] input`).check();
  await d.getByRole('button', { name: 'Check this backup' }).click();
  const refused = d.getByTestId('preflight-refused');
  await expect(refused).toBeVisible();
  await expect(d.getByTestId('preflight-code')).toHaveText('BACKUP_HASH_MISMATCH');
  await expect(d.getByTestId('preflight-reason')).toContainText(/SHA-256|hash/i);
  await expect(refused).toContainText('This file cannot be restored');
  await shot(page, '85-restore-refused');
  await d.getByRole('button', { name: 'Back: choose another backup' }).click();
  await expect(d.getByRole('heading', { name: 'Restore a backup' })).toBeVisible();
  // Nothing was staged for it.
  expect(await invokeHttp<unknown[]>(host, 'restores.list', {})).toEqual([]);
  await d.getByRole('button', { name: 'Close' }).first().click();

  // Verifying it records a failed drill, which the Dashboard shows as an alert.
  await page.getByRole('button', { name: 'Verify backups…' }).click();
  await expect(d.locator('input[type="checkbox"]:checked')).toHaveCount(0);
  await d.locator(`[data-backup-id="${backup.id}"] input`).check();
  await d.getByRole('button', { name: 'Run the restore drill' }).click();
  await expect(d.getByTestId('verify-summary')).toHaveText('0 of 1 backup passed.');
  const report = d.getByTestId('verify-report');
  await expect(report.getByTestId('drill-verdict')).toHaveAttribute('data-passed', 'false');
  await expect(report.locator('.drill-step[data-step="preflight"]')).toHaveAttribute(
    'data-status',
    'fail',
  );
  await expect(report.locator('.drill-step-notrun')).toHaveCount(7);
  await shot(page, '85b-verify-failed-report');
  await d.getByRole('button', { name: 'Done' }).click();
  await nav(page).getByRole('button', { name: 'Dashboard' }).click();
  const failed = page.getByTestId('safety-panel').locator('[data-warning="LAST_DRILL_FAILED"]');
  await expect(failed).toHaveAttribute('role', 'alert');
  await expect(failed).toContainText('The last restore drill failed');
  await expect(failed).toContainText('BACKUP_HASH_MISMATCH');
  await dismissToasts(page);
  await shot(page, '88-dashboard-drill-failed');

  // Overdue needs a month without a passing drill; the overview is given that state here to
  // check how the Dashboard shows it (the rule itself is the backend's).
  await page.route('**/api/invoke/drills.overview', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as {
      ok: true;
      value: { lastPassed: unknown; warnings: { code: string; message: string }[] };
    };
    const at = Date.now() - 41 * 86_400_000;
    body.value.lastPassed = {
      id: '0123456789abcdef',
      restoreId: null,
      backupId: backup.id,
      fileName: backup.fileName,
      startedAt: at,
      finishedAt: at,
      passed: true,
      summary: 'Passed.',
    };
    body.value.warnings = [
      {
        code: 'DRILL_OVERDUE',
        message: 'The last successful restore drill was 41 days ago (more than 30).',
      },
    ];
    await route.fulfill({ response, json: body });
  });
  await page.reload();
  const overdue = page.getByTestId('safety-panel').locator('[data-warning="DRILL_OVERDUE"]');
  await expect(overdue).toHaveAttribute('role', 'alert');
  await expect(overdue).toContainText('Restore drill overdue');
  await expect(page.getByTestId('safety-last-drill')).toContainText('41 d ago');
  await expect(overdue).toBeInViewport();
  await shot(page, '89-dashboard-drill-overdue');
});

test('a restore killed before its drill finished shows as interrupted, with discard', async ({
  page,
  host,
}) => {
  await invokeHttp(host, 'demo.seed', {});
  const backup = await backupNow(host);
  // What `stateward restore` leaves when it is killed mid-drill: the copy, its record
  // naming the process that was drilling it, and that process gone.
  const gone = spawnSync(process.execPath, ['-e', '']).pid!;
  const id = 'c0ffee00c0ffee00';
  const dir = path.join(host.dataDir, 'restores', id);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.copyFileSync(
    path.join(host.dataDir, 'backups', backup.fileName),
    path.join(dir, 'stateward.db'),
  );
  fs.writeFileSync(
    path.join(dir, 'restore.json'),
    JSON.stringify({
      id,
      createdAt: Date.now() - 60_000,
      status: 'drilling',
      source: { fileName: backup.fileName, backupId: backup.id, createdAt: backup.createdAt },
      drillId: null,
      passed: false,
      schemaVersion: backup.schemaVersion,
      owner: { pid: gone, token: '0123456789abcdef' },
    }),
  );

  await page.goto(host.url);
  await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
  const row = page.locator(`.copy-row[data-restore-id="${id}"]`);
  await expect(row).toHaveAttribute('data-status', 'interrupted');
  await expect(row).toContainText('interrupted');
  await expect(row).toContainText('stopped before its drill finished');
  // Recorded without its size (as by an older version): named in words, no "NaN".
  await expect(row.getByTestId('copy-title')).toHaveText(/^Manual backup of /);
  await expect(row).not.toContainText('NaN');
  await expect(row.getByRole('button', { name: /Preview|Promote/ })).toHaveCount(0);
  await shot(page, '86-restore-interrupted');
  await row.getByRole('button', { name: 'Discard' }).click();
  await expect(row).toHaveCount(0);
  await expect(page.getByText('No restored copy is waiting.', { exact: false })).toBeVisible();
  expect(fs.existsSync(dir)).toBe(false);
  expect(fs.readdirSync(path.join(host.dataDir, 'restores'))).toEqual([]);
});

test('restored on another machine: secret references re-bound with the recovery key', async ({
  page,
  host,
}) => {
  // "Machine A": its own data dir with secrets set up, one secret, and a backup.
  const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stateward-e2e-other-'));
  let backup!: BackupEntry;
  let recoveryKey = '';
  try {
    await withHost(otherDir, async (a) => {
      await invokeHttp(a, 'demo.seed', { projects: 2, deployments: 20 });
      const setup = await invokeHttp<{ recoveryKey: string }>(a, 'secrets.setup', {
        passphrase: 'correct horse battery staple',
      });
      recoveryKey = setup.recoveryKey;
      const projects = await invokeHttp<ListPage<Project>>(a, 'projects.list', {});
      const envs = await invokeHttp<{ id: number }[]>(a, 'environments.list', {
        projectId: projects.items[0]!.id,
      });
      await invokeHttp(a, 'secrets.set', {
        environmentId: envs[0]!.id,
        name: 'DATABASE_URL',
        value: 'postgres://app:s3cret@db/app',
      });
      backup = await backupNow(a);
    });
    // "Machine B" (this host) gets the backup file and its manifest.
    fs.mkdirSync(path.join(host.dataDir, 'backups'), { recursive: true, mode: 0o700 });
    for (const name of [backup.fileName, backup.fileName.replace(/\.sqlite$/, '.manifest.json')])
      fs.copyFileSync(
        path.join(otherDir, 'backups', name),
        path.join(host.dataDir, 'backups', name),
      );
  } finally {
    fs.rmSync(otherDir, { recursive: true, force: true });
  }

  await page.goto(host.url);
  await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
  await page.getByRole('button', { name: 'Restore a backup…' }).click();
  const d = dialog(page);
  await d.locator(`[data-backup-id="${backup.id}"] input`).check();
  await d.getByRole('button', { name: 'Check this backup' }).click();
  await d.getByRole('button', { name: 'Restore and run the drill' }).click();
  await expect(d.getByTestId('drill-verdict')).toHaveAttribute('data-passed', 'true');
  await expect(d.locator('.drill-step[data-step="secrets"]')).toHaveAttribute(
    'data-status',
    'warn',
  );
  const rebind = d.getByTestId('secrets-rebind');
  await expect(rebind).toContainText('1 secret reference needs to be re-bound');
  await expect(rebind).toContainText('DATABASE_URL');
  // Until a choice is made, the preview waits.
  await expect(d.getByRole('button', { name: 'Preview the copy' })).toHaveAttribute(
    'aria-disabled',
    'true',
  );
  await rebind.scrollIntoViewIfNeeded();
  await shot(page, '86-restore-secrets-rebind');

  await rebind.getByRole('button', { name: 'Unlock with recovery key' }).click();
  await rebind.getByLabel('Recovery key').fill('SWRK-not-a-real-key');
  await rebind.getByRole('button', { name: 'Unlock and check again' }).click();
  await expect(rebind.getByRole('alert')).toContainText('SECRETS_RECOVERY_KEY_INVALID');
  await rebind.getByLabel('Recovery key').fill(recoveryKey);
  await shot(page, '86b-restore-secrets-recovery-key');
  await rebind.getByLabel('Recovery key').press('Enter');
  await expect(d.getByTestId('secrets-resolved')).toContainText('1 of 1 resolve');
  await expect(d.getByRole('button', { name: 'Preview the copy' })).not.toHaveAttribute(
    'aria-disabled',
    'true',
  );
  await shot(page, '87-restore-secrets-resolved');
  // The value itself never reached the page.
  expect(await page.content()).not.toContain('s3cret');
});

/** Runs a host on `dataDir` for `fn`, then stops it (SIGTERM) and waits for it to exit. */
async function withHost(dataDir: string, fn: (host: Host) => Promise<void>): Promise<void> {
  const env = { ...process.env };
  delete env['STATEWARD_DATA_DIR'];
  delete env['PORTABLE_EXECUTABLE_DIR'];
  const child = spawn(
    process.execPath,
    ['electron/host/serve.ts', '--data-dir', dataDir, '--port', '0'],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const host = await new Promise<Host>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`host printed no URL: ${out}`)), 20_000);
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        const m = /(http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ url: m[0], origin: m[1]!, token: m[2]!, dataDir, stderr: () => '' });
        }
      });
      child.once('exit', (code) => reject(new Error(`host exited (${code}) before serving`)));
    });
    await fn(host);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

test('rollback from the refusal screen: restore an older backup, drill, promote', async ({
  page,
  dataDir,
  startHost,
}) => {
  // A data dir with demo data and a backup, written by this version...
  let backup!: BackupEntry;
  let names: string[] = [];
  await withHost(dataDir, async (h) => {
    await invokeHttp(h, 'demo.seed', {});
    backup = await backupNow(h);
    names = await projectNames(h);
  });
  // ...then "downgraded": the newer version took a backup of its own (schema 99, which this
  // version cannot open), and the live database now says a newer Stateward wrote it.
  const newerId = 'f'.repeat(16);
  const newerName = backup.fileName.replace(
    /^(\d{8}T\d{6}Z)-manual-[a-z0-9]+/,
    (_, stamp: string) => `${stamp.slice(0, 9)}235959Z-manual-${newerId}`,
  );
  const backupsDir = path.join(dataDir, 'backups');
  fs.copyFileSync(path.join(backupsDir, backup.fileName), path.join(backupsDir, newerName));
  fs.writeFileSync(
    path.join(backupsDir, newerName.replace(/\.sqlite$/, '.manifest.json')),
    JSON.stringify({
      ...backup.manifest,
      id: newerId,
      fileName: newerName,
      schemaVersion: 99,
      appVersion: '9.9.9',
      createdAt: backup.createdAt + 60_000,
    }),
  );
  const db = new Database(path.join(dataDir, 'stateward.db'));
  try {
    db.prepare(
      `INSERT INTO schema_migrations (version, name, checksum, applied_at, app_version) VALUES (99, '0099_from_the_future', ?, ?, '9.9.9')`,
    ).run('f'.repeat(64), Date.now());
    db.pragma('user_version = 99');
  } finally {
    db.close();
  }

  // The screens single out the pre-upgrade backup the newer version took before migrating;
  // the upgrade itself cannot happen here, so the list labels this version's backup so.
  await page.route('**/api/invoke/backups.list', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { ok: true; value: BackupEntry[] };
    for (const e of body.value) if (e.id === backup.id) e.kind = 'pre-upgrade';
    await route.fulfill({ response, json: body });
  });
  const host = await startHost();
  await page.goto(host.url);
  await expect(page.getByTestId('refusal-code')).toHaveText('SCHEMA_FROM_NEWER_VERSION');
  await expect(page.getByTestId('refusal-message')).toContainText('9.9.9');
  const section = page.getByRole('region', { name: 'Restore an older backup' });
  await expect(section).toContainText('1 newer one needs a newer Stateward');
  await expect(section.locator(`[data-backup-id="${backup.id}"]`)).toContainText(
    'before the upgrade',
  );
  // Two backups minutes apart read differently: the exact time (with the year) and the mode.
  const rescueRow = section.locator(`[data-backup-id="${backup.id}"]`);
  await expect(rescueRow).toContainText(String(new Date(backup.createdAt).getFullYear()));
  await expect(rescueRow).toContainText(backup.compact ? 'compact' : 'full');
  await expect(section.locator(`[data-backup-id="${newerId}"]`)).toHaveCount(0);
  await shot(page, '90-refusal-restore');

  await section.getByRole('button', { name: 'Restore an older backup…' }).click();
  const d = dialog(page);
  await expect(d.getByRole('heading', { name: 'Restore an older backup' })).toBeVisible();
  // The pre-upgrade backup is preselected and highlighted; the newer one is disabled, with why.
  await expect(d.locator(`[data-backup-id="${backup.id}"] input`)).toBeChecked();
  await expect(d.locator(`[data-backup-id="${backup.id}"]`)).toHaveClass(/pick-row-recommended/);
  await expect(d.locator(`[data-backup-id="${newerId}"] input`)).toBeDisabled();
  await expect(d.locator(`[data-backup-id="${newerId}"]`)).toContainText(
    'Made by a newer Stateward (schema 99)',
  );
  await shot(page, '91-rollback-1-pick');
  await d.getByRole('button', { name: 'Check this backup' }).click();
  await expect(d.getByTestId('preflight-summary')).toBeVisible();
  await shot(page, '92-rollback-2-preflight');
  await d.getByRole('button', { name: 'Restore and run the drill' }).click();
  await expect(d.getByTestId('drill-verdict')).toHaveAttribute('data-passed', 'true');
  await expect(d.locator('.drill-step[data-status="pass"]')).toHaveCount(8);
  await shot(page, '93-rollback-3-drill');

  // The preview happens here, on the refusal screen: the copy's projects and the comparison.
  await d.getByRole('button', { name: 'Preview the copy' }).click();
  const preview = d.getByTestId('inline-preview');
  await expect(preview).toContainText('Restored copy — read-only');
  await expect(preview.getByTestId('inline-projects').locator('li')).toHaveCount(
    Math.min(8, names.length),
  );
  await expect(
    preview.getByTestId('compare-table').locator('tr[data-table="projects"] td').first(),
  ).toHaveText(String(names.length));
  await expect(page.getByTestId('refusal-code')).toBeAttached();
  await shot(page, '94-rollback-4-preview');

  await d.getByRole('button', { name: 'Promote…' }).click();
  await expect(d.getByTestId('promote-confirm')).toContainText(
    'A pre-restore backup of the refused data is taken',
  );
  await shot(page, '95-rollback-5-promote');
  await d.getByRole('button', { name: 'Promote: make this copy live' }).click();
  await expect(d.getByTestId('promote-done')).toBeVisible();
  await shot(page, '96-rollback-6-done');
  await d.getByRole('button', { name: 'Open Stateward' }).click();

  // The normal app, on the backup's data.
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(page.getByTestId('safety-last-drill')).toBeVisible();
  await nav(page).getByRole('button', { name: 'Projects' }).click();
  const projects = page.getByRole('listbox', { name: 'Projects' });
  await expect(projects.getByRole('option')).toHaveCount(names.length);
  for (const n of names.slice(0, 3)) await expect(projects).toContainText(n);
  await shot(page, '97-rollback-7-app');
});

test('compare and the promote dialog name what a promote loses', async ({ page, host }) => {
  await invokeHttp(host, 'demo.seed', { projects: 2, deployments: 30 });
  const backup = await backupNow(host);
  // After the backup, live gains a project and a deployment: a promote would lose both.
  await invokeHttp(host, 'projects.create', { name: 'made-after-the-backup' });
  const inBackup = (await invokeHttp<ListPage<Project>>(host, 'projects.list', {})).items;
  const [env] = await invokeHttp<{ id: number }[]>(host, 'environments.list', {
    projectId: inBackup[0]!.id,
  });
  // And a project of the backup renamed: a promote changes its name back.
  const renamed = inBackup.find((p) => p.name !== 'made-after-the-backup')!;
  await invokeHttp(host, 'projects.update', { id: renamed.id, name: 'renamed-after-backup' });
  await invokeHttp(host, 'deployments.create', { environmentId: env!.id, version: '9.9.9-lost' });
  await page.setViewportSize({ width: 1000, height: 900 });
  await compareCopyOf(page, host, backup.id);

  // The summary first, then the entities by name.
  const diff = page.getByTestId('restore-diff');
  await expect(diff.getByTestId('restore-diff-headline')).toContainText(
    'Promoting this copy loses 1 project created since',
  );
  await expect(diff.getByTestId('restore-diff-headline')).toContainText(
    '1 deployment recorded since',
  );
  const summary = diff.getByTestId('restore-diff-summary');
  await expect(summary.locator('tr[data-kind="deployment"] td[data-change="removed"]')).toHaveText(
    '1',
  );
  const rows = diff.getByRole('table', { name: 'Changes by name' }).locator('tbody tr');
  const lost = rows.filter({ hasText: '9.9.9-lost' });
  await expect(lost).toHaveAttribute('data-change', 'removed');
  await expect(lost).toContainText('Lost');
  await expect(rows.filter({ hasText: 'made-after-the-backup' })).toHaveAttribute(
    'data-change',
    'removed',
  );
  const back = rows.and(page.locator('[data-kind="project"][data-change="changed"]'));
  await expect(back).toContainText(`name: renamed-after-backup → ${renamed.name}`);
  await diff.scrollIntoViewIfNeeded();
  await shot(page, '76b-compare-by-name-all-1000');
  // A count in the summary filters the list to its kind and class.
  await summary.getByRole('button', { name: 'Show the 1 deployment lost by promoting' }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('9.9.9-lost');
  await dismissToasts(page);
  await shot(page, '76b-compare-by-name-1000');
  await setTheme(page, 'dark');
  await shot(page, '76c-dark-compare-by-name-1000');
  await setTheme(page, 'light');

  // The promote dialog says what will be lost, with the list one click away (light, then dark).
  for (const theme of ['light', 'dark'] as const) {
    await setTheme(page, theme);
    await page.getByRole('button', { name: 'Promote…' }).first().click();
    const d = dialog(page);
    const loss = d.getByTestId('promote-loss');
    await expect(loss).toContainText('You will lose: 1 project created since');
    await expect(loss).toContainText('1 deployment recorded since');
    await loss.getByRole('button', { name: 'See them by name' }).click();
    await expect(loss.locator('tbody tr').filter({ hasText: '9.9.9-lost' })).toHaveCount(1);
    await shot(page, `77b-${theme}-promote-lists-loss-1000`);
    await d.getByRole('button', { name: 'Cancel' }).click();
    await expect(d).toBeHidden();
  }
  await setTheme(page, 'light');
});

test('the list of changes pages with Next and Previous, filtered by the selects', async ({
  page,
  host,
}) => {
  await invokeHttp(host, 'demo.seed', { projects: 1, deployments: 5 });
  const backup = await backupNow(host);
  const [project] = (await invokeHttp<ListPage<Project>>(host, 'projects.list', {})).items;
  const [env] = await invokeHttp<{ id: number }[]>(host, 'environments.list', {
    projectId: project!.id,
  });
  // 61 deployments after the backup: two pages of lost deployments (50 a page).
  for (let i = 0; i < 61; i++)
    await invokeHttp(host, 'deployments.create', { environmentId: env!.id, version: `9.10.${i}` });
  await compareCopyOf(page, host, backup.id);
  const diff = page.getByTestId('restore-diff');
  await diff.getByRole('combobox', { name: 'Kind', exact: true }).selectOption('deployment');
  await diff.getByRole('combobox', { name: 'Change', exact: true }).selectOption('removed');
  const rows = diff.getByRole('table', { name: 'Changes by name' }).locator('tbody tr');
  const pager = diff.getByRole('navigation', { name: 'Pages of changes' });
  await expect(pager).toContainText('1–50 of 61 changes');
  await expect(rows).toHaveCount(50);
  const firstPage = await rows.locator('td:nth-child(3) strong').allTextContents();
  await pager.getByRole('button', { name: 'Next' }).click();
  await expect(pager).toContainText('51–61 of 61 changes');
  await expect(rows).toHaveCount(11);
  const secondPage = await rows.locator('td:nth-child(3) strong').allTextContents();
  expect(new Set([...firstPage, ...secondPage]).size).toBe(61);
  await expect(pager.getByRole('button', { name: 'Next' })).toBeDisabled();
  await pager.getByRole('button', { name: 'Previous' }).click();
  await expect(pager).toContainText('1–50 of 61 changes');
  // A write to live (here, another window, the CLI) reaches the list once writes settle.
  await invokeHttp(host, 'deployments.create', { environmentId: env!.id, version: '9.11.0' });
  await expect(pager).toContainText('1–50 of 62 changes');
});
