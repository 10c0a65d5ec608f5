// The badge says what the newest evidence says: a backup that passed a drill
// and then failed a later one shows "damaged" (hash mismatch) or "drill failed"
// (its integrity check failed) in the Backups list, its detail and the restore
// picker — listed after the safe ones, never preselected. A drill of an empty
// backup is not the Dashboard's last successful drill, and live data changed
// since the last backup turns "Last backup" into a warning. Light and dark.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import type { BackupEntry, DrillReport } from '../../shared/domain.ts';
import { damageIndexPage } from '../helpers/restore-util.ts';
import type { Host } from './fixtures.ts';
import { backupNow, dismissToasts, expect, invokeHttp, shot, test } from './fixtures.ts';

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
async function verify(host: Host, b: BackupEntry): Promise<DrillReport> {
  return invokeHttp<DrillReport>(host, 'restores.verify', { source: { backupId: b.id } });
}

/** Damage an index page of the file, then record the new size and hash in its manifest: preflight passes, integrity fails. */
function corruptKeepingManifest(host: Host, b: BackupEntry): void {
  const file = path.join(host.dataDir, 'backups', b.fileName);
  damageIndexPage(file, 'deployments_status_started');
  const bytes = fs.readFileSync(file);
  const manifestFile = file.replace(/\.sqlite$/, '.manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Record<string, unknown>;
  manifest['sha256'] = crypto.createHash('sha256').update(bytes).digest('hex');
  manifest['bytes'] = bytes.length;
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
}

test('failed and damaged backups say so in the list, the detail and the restore picker', async ({
  page,
  host,
}) => {
  await invokeHttp(host, 'demo.seed', {});
  const good = await backupNow(host);
  const tampered = await backupNow(host);
  const broken = await backupNow(host);
  for (const b of [good, tampered, broken]) expect((await verify(host, b)).passed).toBe(true);

  // Newer evidence: one file tampered with (hash mismatch), one whose integrity check fails.
  const file = path.join(host.dataDir, 'backups', tampered.fileName);
  const bytes = fs.readFileSync(file);
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
  fs.writeFileSync(file, bytes);
  expect((await verify(host, tampered)).passed).toBe(false);
  corruptKeepingManifest(host, broken);
  const failed = await verify(host, broken);
  expect(failed.passed).toBe(false);
  expect(failed.steps.find((s) => s.status === 'fail')?.key).toBe('integrity');

  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(host.url);
  await nav(page).getByRole('button', { name: 'Backups' }).click();
  const list = page.getByRole('listbox', { name: 'Backups' });
  const options = list.getByRole('option');
  await expect(options).toHaveCount(4); // the three, and the empty scheduled one taken at start
  const states = await options
    .locator('[data-state]')
    .evaluateAll((els) =>
      els.map((e) => `${e.getAttribute('data-state')}:${e.textContent?.trim()}`),
    );
  // Newest first: broken (drill failed), tampered (damaged), good (verified), the empty one.
  expect(states[0]).toMatch(/^failed:.*drill failed/);
  expect(states[1]).toMatch(/^damaged:.*damaged/);
  expect(states[2]).toMatch(/^verified:verified /);
  expect(states.join(' ')).not.toMatch(/^failed:verified|^damaged:verified/);
  await dismissToasts(page);
  await shot(page, '90-backups-failed-damaged');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, '90b-dark-backups-failed-damaged');
  await page.emulateMedia({ colorScheme: 'light' });

  // The detail says why, with the code, and that an earlier pass is overruled.
  await options.nth(1).click();
  const detail = page.getByRole('complementary', { name: 'Backup details' });
  const row = detail.getByTestId('backup-verification');
  await expect(row).toHaveAttribute('data-state', 'damaged');
  await expect(row).toContainText('Damaged: do not rely on it');
  await expect(row).toContainText('BACKUP_HASH_MISMATCH');
  await expect(row).toContainText('An earlier drill passed');
  await expect(detail.getByText(/^Verified /)).toHaveCount(0);
  await dismissToasts(page);
  await shot(page, '91-backup-detail-damaged');
  await options.nth(0).click();
  await expect(row).toHaveAttribute('data-state', 'failed');
  await expect(row).toContainText('Its last restore drill failed');
  await expect(row).toContainText('DB_CORRUPT');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, '91b-dark-backup-detail-failed');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.keyboard.press('Escape');

  // The restore picker: the safe ones first, the good one preselected; failed and damaged last, saying why.
  await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
  await page.getByRole('button', { name: 'Restore a backup…' }).click();
  const d = page.getByRole('dialog');
  const picker = d.getByTestId('backup-picker');
  const rows = picker.locator('[data-backup-id]');
  await expect(rows).toHaveCount(4);
  await expect(d.locator(`[data-backup-id="${good.id}"] input`)).toBeChecked();
  const order = await rows.evaluateAll((els) =>
    els.map((e) => `${e.getAttribute('data-backup-id')}:${e.getAttribute('data-state')}`),
  );
  expect(order.slice(2)).toEqual([`${broken.id}:failed`, `${tampered.id}:damaged`]);
  await expect(d.locator(`[data-backup-id="${broken.id}"]`)).toContainText('drill failed');
  await expect(d.locator(`[data-backup-id="${broken.id}"]`)).toContainText('Integrity');
  await expect(d.locator(`[data-backup-id="${tampered.id}"]`)).toContainText('damaged');
  await expect(d.locator(`[data-backup-id="${tampered.id}"]`)).toContainText(
    'does not match its manifest',
  );
  await expect(d.locator(`[data-backup-id="${tampered.id}"] input`)).not.toBeFocused();
  await shot(page, '92-restore-picker-failed-damaged');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.setViewportSize({ width: 1000, height: 900 });
  await shot(page, '92b-dark-1000-restore-picker-failed-damaged');
});

test('an empty backup’s drill is not a success; changes since the last backup are counted', async ({
  page,
  host,
}) => {
  // The host's first scheduled backup is of the empty database: drill it.
  let empty: BackupEntry | undefined;
  for (let i = 0; i < 100 && !empty; i++) {
    empty = (await invokeHttp<BackupEntry[]>(host, 'backups.list', {}))[0];
    if (!empty) await new Promise((r) => setTimeout(r, 100));
  }
  // Drilled through the Verify wizard, which says the pass proves no data.
  await page.goto(host.url);
  await nav(page).getByRole('button', { name: 'Restore & drills' }).click();
  await page.getByRole('button', { name: 'Verify backups…' }).click();
  const d = page.getByRole('dialog');
  await d.locator(`[data-backup-id="${empty!.id}"] input`).check();
  await d.getByRole('button', { name: 'Run the restore drill' }).click();
  await expect(d.getByTestId('verify-summary')).toContainText(
    'The backup passed its restore drill.',
  );
  await expect(d.getByTestId('verify-empty')).toContainText('But it is empty');
  await expect(d.getByTestId('drill-verdict')).toContainText('with warnings');
  await shot(page, '93a-verify-empty-backup');
  await d.getByRole('button', { name: 'Done' }).click();
  await invokeHttp(host, 'demo.seed', {});

  await nav(page).getByRole('button', { name: 'Dashboard' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  const safety = page.getByTestId('safety-panel');
  await expect(safety.locator('[data-warning="ONLY_EMPTY_DRILLED"]')).toContainText(
    'Only an empty backup was drilled',
  );
  await expect(page.getByTestId('safety-last-drill')).toHaveCount(0);
  const last = safety.getByTestId('safety-last-backup');
  await expect(last).toHaveAttribute('data-changed', 'yes');
  await expect(last).toHaveClass(/safety-warn/);
  await expect(last.getByTestId('safety-changed-since')).toContainText(
    /\d[\d,]* changes since the last backup, (just now|\d+ \w+ ago)/,
  );
  await shot(page, '93-dashboard-empty-drill-changes');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, '93b-dark-dashboard-empty-drill-changes');

  // A new backup holds them: the row is green again.
  await backupNow(host);
  await page.reload();
  await expect(safety.getByTestId('safety-last-backup')).toHaveAttribute('data-changed', 'no');
});
